// The forwarder's pool to an owner carries every tenant's requests: a connection the owner
// answered 429 (which the owner then holds for its Retry-After) is closed, not handed to the next
// request. Real TLS on loopback: an owner server and a front server that forwards to it.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCA, issueCert } from '../../../src/pki/certs.js';
import { Forwarder } from '../../../src/sharding/forwarder.js';

describe('Forwarder', () => {
  const ownerSockets: number[] = [];
  let owner: https.Server;
  let front: http.Server;
  let frontPort: number;
  let forwarder: Forwarder;

  beforeAll(async () => {
    const ca = await createCA('owner-ca');
    const serving = await issueCert(ca, { commonName: 'owner', ipAddresses: ['127.0.0.1'], server: true });
    const peer = await issueCert(ca, { commonName: 'replica-1', client: true });
    owner = https.createServer({ key: serving.key, cert: serving.cert }, (req, res) => {
      ownerSockets.push(req.socket.remotePort!);
      res.writeHead(req.url === '/refuse' ? 429 : 200, { 'Content-Type': 'text/plain' });
      res.end('x');
    });
    await new Promise<void>((r) => owner.listen(0, '127.0.0.1', r));
    const address = `https://127.0.0.1:${(owner.address() as AddressInfo).port}`;
    forwarder = new Forwarder('replica-1', peer);
    front = http.createServer(
      (req, res) =>
        void forwarder.forward(req, res, 't', { identity: 'replica-0', address, servingCA: ca.cert }),
    );
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    frontPort = (front.address() as AddressInfo).port;
  });
  afterAll(async () => {
    forwarder.close();
    await new Promise<void>((r) => front.close(() => r()));
    await new Promise<void>((r) => owner.close(() => r()));
  });

  /** One request through the front on a connection of its own; resolves with the status. */
  const get = (path: string): Promise<number> =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: frontPort, path, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject);
    });

  it('reuses its connection to the owner, except one the owner answered 429', async () => {
    expect(await get('/a')).toBe(200);
    expect(await get('/b')).toBe(200);
    expect(ownerSockets[1]).toBe(ownerSockets[0]); // kept alive and reused
    expect(await get('/refuse')).toBe(429);
    expect(ownerSockets[2]).toBe(ownerSockets[0]);
    expect(await get('/c')).toBe(200);
    expect(ownerSockets[3]).not.toBe(ownerSockets[2]); // the refused connection was not given on
  });
});
