import https from 'node:https';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createCA, issueCert } from '../../../src/pki/certs.js';
import { pacedListener } from '../../../src/server/paced-accept.js';

describe('paced accept', () => {
  it('hands a burst of connections to the TLS server one per event-loop turn, and serves them all', async () => {
    const ca = await createCA('test-ca');
    const leaf = await issueCert(ca, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'], server: true });
    const server = https.createServer({ cert: leaf.cert, key: leaf.key }, (_req, res) => res.end('ok'));
    // A turn counter: advanced once per check phase while the test runs.
    let turn = 0;
    let ticking = true;
    const tick = (): void => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const handedAt: number[] = [];
    server.on('connection', () => handedAt.push(turn));
    const listener = pacedListener(server);
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as net.AddressInfo).port;
    const n = 30;
    const bodies = await Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise<string>((resolve, reject) => {
            const req = https.get(
              {
                host: '127.0.0.1',
                port,
                path: '/',
                ca: ca.cert,
                agent: new https.Agent({ keepAlive: false }),
              },
              (res) => {
                let body = '';
                res.on('data', (d: Buffer) => (body += d.toString()));
                res.on('end', () => resolve(body));
              },
            );
            req.on('error', reject);
          }),
      ),
    );
    ticking = false;
    expect(bodies).toEqual(Array.from({ length: n }, () => 'ok'));
    expect(handedAt).toHaveLength(n);
    expect(new Set(handedAt).size).toBe(n);
    // Closing the listener waits for the connections it accepted.
    await new Promise<void>((r) => {
      listener.close(() => r());
      server.closeAllConnections();
    });
  });
});
