// The upgrade proxy against a fake host apiserver (a local TLS server that records every byte it
// receives): the host only ever sees the request head kplex built, never a client byte before its
// 101, and a connection that answered anything else is closed, not reused.
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusError } from '../../../src/api/status.js';
import { HostClient } from '../../../src/hostapi/host-client.js';
import { dechunk } from '../../../src/host/upgrade-answer.js';
import { OPCODE, encodeFrame } from '../../../src/host/websocket-frames.js';
import { proxyUpgrade, upgradeRequestHead } from '../../../src/host/upgrade-proxy.js';
import { createCA, issueCert } from '../../../src/pki/certs.js';

const SMUGGLED = 'GET /api/v1/namespaces/kplex-system/secrets HTTP/1.1\r\nHost: x\r\n\r\n';

/** A request as the server hands it over: raw headers, the bytes after the head, the socket. */
function upgradeReq(
  method: string,
  raw: [string, string][],
  head = SMUGGLED,
  socket: net.Socket = new net.Socket(),
): IncomingMessage & { upgradeHead: Buffer } {
  const headers: Record<string, string> = {};
  for (const [k, v] of raw) headers[k.toLowerCase()] = v;
  return {
    method,
    headers,
    rawHeaders: raw.flat(),
    socket,
    upgradeHead: Buffer.from(head),
  } as unknown as IncomingMessage & { upgradeHead: Buffer };
}

const SPDY: [string, string][] = [
  ['Host', 'kplex.example'],
  ['Authorization', 'Bearer tenant-token'],
  ['Connection', 'Upgrade'],
  ['Upgrade', 'SPDY/3.1'],
  ['X-Stream-Protocol-Version', 'v4.channel.k8s.io'],
  ['X-Stream-Protocol-Version', 'v5.channel.k8s.io'],
  ['Content-Length', '0'],
  ['Impersonate-User', 'system:admin'],
  ['Cookie', 'a=b'],
  ['User-Agent', 'kubectl/v1.32'],
];

interface FakeHost {
  url: string;
  ca: string;
  /** Everything each connection received, by connection. */
  received: Buffer[][];
  /** What the host answers on each connection: written once the request head is complete. */
  answer: (sock: tls.TLSSocket) => void;
  closed: Promise<void>[];
  server: tls.Server;
}

async function fakeHost(): Promise<FakeHost> {
  const ca = await createCA('fake-host-ca');
  const leaf = await issueCert(ca, { commonName: 'host', server: true, ipAddresses: ['127.0.0.1'] });
  const h = { received: [], closed: [], answer: () => undefined, ca: ca.cert } as unknown as FakeHost;
  h.server = tls.createServer({ cert: leaf.cert, key: leaf.key }, (sock) => {
    const got: Buffer[] = [];
    h.received.push(got);
    h.closed.push(new Promise((r) => sock.on('close', () => r())));
    let answered = false;
    sock.on('error', () => undefined);
    sock.on('data', (c: Buffer) => {
      got.push(c);
      if (!answered && Buffer.concat(got).includes('\r\n\r\n')) {
        answered = true;
        h.answer(sock);
      }
    });
  });
  await new Promise<void>((r) => h.server.listen(0, '127.0.0.1', () => r()));
  h.url = `https://127.0.0.1:${(h.server.address() as net.AddressInfo).port}`;
  return h;
}

const NOT_FOUND = JSON.stringify({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'pods "nope" not found in host-ns-1',
  reason: 'NotFound',
  details: { name: 'nope', kind: 'pods' },
  code: 404,
});

describe('upgradeRequestHead', () => {
  const host = new HostClient({ server: 'https://10.0.0.1:6443/base', token: 'host-token' });
  afterAll(() => host.close());

  it('forwards only the headers that negotiate the upgrade, with kplex Host, Connection and credential', () => {
    const head = upgradeRequestHead(
      host,
      upgradeReq('POST', SPDY),
      '/api/v1/namespaces/h/pods/p/exec?command=id',
    );
    expect(head).toBe(
      [
        'POST /base/api/v1/namespaces/h/pods/p/exec?command=id HTTP/1.1',
        'Host: 10.0.0.1:6443',
        'Connection: Upgrade',
        'Upgrade: SPDY/3.1',
        'X-Stream-Protocol-Version: v4.channel.k8s.io',
        'X-Stream-Protocol-Version: v5.channel.k8s.io',
        'User-Agent: kubectl/v1.32',
        'Authorization: Bearer host-token',
      ].join('\r\n') + '\r\n\r\n',
    );
  });

  it('never forwards Sec-WebSocket-Extensions: compressed frames could not be read', () => {
    const head = upgradeRequestHead(
      host,
      upgradeReq('GET', [
        ['Upgrade', 'websocket'],
        ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits'],
      ]),
      '/api/v1/namespaces/h/pods/p/exec',
    );
    expect(head).not.toContain('deflate');
  });

  it('keeps the WebSocket handshake headers', () => {
    const head = upgradeRequestHead(
      host,
      upgradeReq('GET', [
        ['Connection', 'Upgrade'],
        ['Upgrade', 'websocket'],
        ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
        ['Sec-WebSocket-Version', '13'],
        ['Sec-WebSocket-Protocol', 'v5.channel.k8s.io, v4.channel.k8s.io'],
      ]),
      '/api/v1/namespaces/h/pods/p/attach',
    );
    expect(head).toContain('\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n');
    expect(head).toContain('\r\nSec-WebSocket-Protocol: v5.channel.k8s.io, v4.channel.k8s.io\r\n');
    expect(head.startsWith('GET /base/api/v1/namespaces/h/pods/p/attach HTTP/1.1\r\n')).toBe(true);
  });

  it.each([
    ['a body by Content-Length', 'POST', [['Content-Length', '67']]],
    ['a chunked body', 'POST', [['Transfer-Encoding', 'chunked']]],
    ['a method other than GET or POST', 'PUT', []],
    ['a header value with obs-text', 'GET', [['Sec-WebSocket-Protocol', 'v5\xff']]],
    ['a header value with a line break', 'GET', [['User-Agent', 'x\r\nGET / HTTP/1.1']]],
  ] as [string, string, [string, string][]][])('refuses %s with 400', (_, method, extra) => {
    const req = upgradeReq(method, [['Upgrade', 'SPDY/3.1'], ...extra]);
    let err: unknown;
    try {
      upgradeRequestHead(host, req, '/api/v1/namespaces/h/pods/p/exec');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).code).toBe(400);
  });

  it('never sends a request target with spaces or line breaks', () => {
    expect(() => upgradeRequestHead(host, upgradeReq('GET', []), '/x HTTP/1.1\r\nGET /y')).toThrow();
  });
});

describe('proxyUpgrade against a fake host', () => {
  let h: FakeHost;
  let host: HostClient;
  beforeAll(async () => {
    h = await fakeHost();
    host = new HostClient({ server: h.url, ca: h.ca, token: 'host-token' });
  });
  afterAll(async () => {
    await host.close();
    h.server.close();
  });

  it('sends no client byte after a 404 kept alive, closes that connection and throws the rewritten Status', async () => {
    h.answer = (sock) =>
      sock.write(
        `HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${NOT_FOUND.length}\r\n\r\n${NOT_FOUND}`,
      );
    const n = h.received.length;
    const err = await proxyUpgrade(
      host,
      upgradeReq('POST', SPDY),
      '/api/v1/namespaces/host-ns-1/pods/nope/exec',
      (t) => t.replaceAll('host-ns-1', 'default'),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).status).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'pods "nope" not found in default',
    });
    await h.closed[n];
    const got = Buffer.concat(h.received[n]!).toString('latin1');
    expect(got).not.toContain('kplex-system');
    expect(got.endsWith('\r\n\r\n')).toBe(true);
    expect(got.split('\r\n\r\n')).toHaveLength(2);
    expect(got).not.toContain('tenant-token');
    expect(got).not.toContain('Impersonate');
    expect(got).not.toContain('Content-Length');
  });

  it('reads a chunked refusal to its end without waiting for a close', async () => {
    const chunks = `${(NOT_FOUND.length - 10).toString(16)}\r\n${NOT_FOUND.slice(0, -10)}\r\na\r\n${NOT_FOUND.slice(-10)}\r\n0\r\n\r\n`;
    h.answer = (sock) => sock.write(`HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}`);
    const err = await proxyUpgrade(host, upgradeReq('POST', SPDY), '/x').catch((e: unknown) => e);
    expect((err as StatusError).status.message).toBe('pods "nope" not found in host-ns-1');
  });

  it('turns a non-JSON refusal into a Status with the host code', async () => {
    h.answer = (sock) => sock.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\nbad upgrade\n');
    const err = await proxyUpgrade(host, upgradeReq('POST', SPDY), '/x').catch((e: unknown) => e);
    expect((err as StatusError).status).toMatchObject({ code: 400, kind: 'Status', message: 'bad upgrade' });
  });

  it('after a 101, passes the client bytes (stream frames) both ways, in order', async () => {
    // A real client socket: kplex's end of it is what the proxy splices.
    const front = net.createServer();
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
    const accepted = new Promise<net.Socket>((r) => front.once('connection', r));
    const client = net.connect((front.address() as net.AddressInfo).port, '127.0.0.1');
    const kplexSide = await accepted;
    kplexSide.pause();
    let fromHost = '';
    client.on('data', (c: Buffer) => (fromHost += c.toString('latin1')));
    let beforeAnswer = '';
    h.answer = (sock) => {
      beforeAnswer = Buffer.concat(h.received.at(-1)!).toString('latin1');
      sock.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\n\r\nhello');
    };
    const n = h.received.length;
    const spliced = proxyUpgrade(host, upgradeReq('POST', SPDY, 'first-frame|', kplexSide), '/x');
    await new Promise<void>((r) => {
      const t = setInterval(() => {
        if (fromHost.includes('hello')) r(void clearInterval(t));
      }, 10);
    });
    expect(beforeAnswer.endsWith('\r\n\r\n')).toBe(true);
    expect(beforeAnswer).not.toContain('first-frame');
    expect(fromHost.startsWith('HTTP/1.1 101 Switching Protocols\r\n')).toBe(true);
    client.write('second-frame');
    await new Promise<void>((r) => {
      const t = setInterval(() => {
        if (Buffer.concat(h.received[n]!).includes('second-frame')) r(void clearInterval(t));
      }, 10);
    });
    const got = Buffer.concat(h.received[n]!).toString('latin1');
    expect(got.slice(got.indexOf('\r\n\r\n') + 4)).toBe('first-frame|second-frame');
    client.destroy();
    await spliced;
    front.close();
  });

  it('after a WebSocket 101, rewrites the error channel the host sent with its answer and delivers it before closing', async () => {
    const front = net.createServer();
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
    const accepted = new Promise<net.Socket>((r) => front.once('connection', r));
    const client = net.connect((front.address() as net.AddressInfo).port, '127.0.0.1');
    const kplexSide = await accepted;
    const got: Buffer[] = [];
    client.on('data', (c: Buffer) => got.push(c));
    const clientClosed = new Promise<void>((r) => client.on('close', () => r()));
    const stdout = encodeFrame(OPCODE.binary, Buffer.from('\x01host-ns-1 in stdout'));
    const error = encodeFrame(OPCODE.binary, Buffer.from('\x03{"message":"pod \\"host-ns-1/p\\" failed"}'));
    const close = encodeFrame(OPCODE.close, Buffer.from('\x03\xe8host-ns-1', 'latin1'));
    h.answer = (sock) => {
      sock.write(
        Buffer.concat([
          Buffer.from(
            'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n',
          ),
          stdout,
          error.subarray(0, 5),
        ]),
      );
      setTimeout(() => sock.end(Buffer.concat([error.subarray(5), close])), 20);
    };
    const req = upgradeReq(
      'GET',
      [
        ['Upgrade', 'websocket'],
        ['Sec-WebSocket-Protocol', 'v5.channel.k8s.io'],
      ],
      '',
      kplexSide,
    );
    await proxyUpgrade(host, req, '/api/v1/namespaces/host-ns-1/pods/p/attach', (t) =>
      t.replaceAll('host-ns-1', 'default'),
    );
    await clientClosed;
    const all = Buffer.concat(got);
    const frames = all.subarray(all.indexOf('\r\n\r\n') + 4);
    expect(
      frames.equals(
        Buffer.concat([
          stdout, // container output as the host sent it
          encodeFrame(OPCODE.binary, Buffer.from('\x03{"message":"pod \\"default/p\\" failed"}')),
          encodeFrame(OPCODE.close, Buffer.from('\x03\xe8default', 'latin1')),
        ]),
      ),
      frames.toString('latin1'),
    ).toBe(true);
    front.close();
  });

  it('answers 503 without host details when the host is unreachable', async () => {
    const dead = new HostClient({ server: 'https://127.0.0.1:1', token: 't' });
    const err = await proxyUpgrade(dead, upgradeReq('POST', SPDY), '/x').catch((e: unknown) => e);
    expect((err as StatusError).code).toBe(503);
    expect((err as StatusError).message).not.toContain('127.0.0.1');
    await dead.close();
  });
});

describe('dechunk', () => {
  it('is undefined until the last chunk arrived', () => {
    expect(dechunk(Buffer.from('3\r\nabc\r\n'))).toBeUndefined();
    expect(dechunk(Buffer.from('3\r\nabc\r\n0\r\n\r\n'))?.toString()).toBe('abc');
  });
});
