// The connection a 429 went out on is not read again until its Retry-After has passed; other
// connections are read as usual. A real HTTP server and raw keep-alive sockets on loopback.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdAfterRefusal } from '../../../src/limits/refusal-backoff.js';

const HOLD_S = 0.4;

describe('holdAfterRefusal', () => {
  const seen: { path: string; at: number }[] = [];
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ path: req.url ?? '', at: performance.now() });
      if (req.url === '/refuse') {
        holdAfterRefusal(res, HOLD_S);
        res.writeHead(429, { 'Retry-After': String(HOLD_S) });
      } else res.writeHead(200);
      res.end('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** Sends `path` on `socket` and resolves with the status line of the answer. */
  const send = (socket: net.Socket, path: string): Promise<string> =>
    new Promise((resolve) => {
      socket.once('data', (d: Buffer) => resolve(d.toString().split('\r\n')[0]!));
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    });
  const connect = (): Promise<net.Socket> =>
    new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => r(s));
    });

  it('reads the refused connection again only after the hold; another connection meanwhile', async () => {
    const refused = await connect();
    const other = await connect();
    expect(await send(refused, '/refuse')).toBe('HTTP/1.1 429 Too Many Requests');
    const refusedAt = seen.at(-1)!.at;
    const next = send(refused, '/after-hold');
    expect(await send(other, '/other')).toBe('HTTP/1.1 200 OK');
    expect(seen.map((s) => s.path)).not.toContain('/after-hold');
    expect(await next).toBe('HTTP/1.1 200 OK');
    const after = seen.find((s) => s.path === '/after-hold')!;
    expect(after.at - refusedAt).toBeGreaterThanOrEqual(HOLD_S * 1000 - 20);
    refused.destroy();
    other.destroy();
  });
});
