import { createServer, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusError } from '../../../src/api/status.js';
import { HostClient } from '../../../src/hostapi/host-client.js';
import type { HostConnection } from '../../../src/hostapi/host-config.js';
import { callHost } from '../../../src/hostapi/host-request.js';
import { DEFAULT_LIMITS } from '../../../src/limits/limits.js';

// A real HTTP server: /slow answers only when the test releases it, /stream stays open.
const held: ServerResponse[] = [];
let slowArrivals = 0;
const server = createServer((req, res) => {
  if (req.url === '/slow') {
    slowArrivals++;
    held.push(res);
    return;
  }
  if (req.url === '/stream') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{}\n');
    held.push(res);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"ok":true}');
});
let host: HostClient;

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = new HostClient({
    server: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
  } as HostConnection);
});
afterAll(async () => {
  for (const r of held.splice(0)) r.end('{}');
  await host.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
};

describe('host pool shares', () => {
  it("holds a tenant to its share of host connections; another tenant's request does not wait behind it", async () => {
    const a = host.forTenant('a', { ...DEFAULT_LIMITS, hostInFlight: 2 });
    const b = host.forTenant('b', DEFAULT_LIMITS);
    const flood = Array.from({ length: 10 }, () => a.request('GET', '/slow'));
    await until(() => slowArrivals === 2);
    expect(host.shares.gate.stats('a')).toEqual({ running: 2, waiting: 8 });
    const victim = await b.request('GET', '/fast');
    expect(victim.status).toBe(200);
    expect(slowArrivals).toBe(2);
    // Released one by one, the flood drains through its two seats.
    while (slowArrivals < 10 || held.length > 0) {
      await until(() => held.length > 0);
      held.shift()!.end('{}');
    }
    expect((await Promise.all(flood)).every((r) => r.status === 200)).toBe(true);
    expect(host.shares.gate.inUse).toBe(0);
  });

  it('counts host streams per tenant and refuses past the limit with 429', async () => {
    const a = host.forTenant('s', { ...DEFAULT_LIMITS, hostWatchStreams: 1 });
    const first = await callHost(a, {
      method: 'GET',
      path: '/stream',
      accept: 'application/json',
      bodyTimeout: 0,
    });
    expect(first.statusCode).toBe(200);
    const err = await callHost(a, {
      method: 'GET',
      path: '/stream',
      accept: 'application/json',
      bodyTimeout: 0,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).status).toMatchObject({
      code: 429,
      reason: 'TooManyRequests',
      details: { retryAfterSeconds: 1 },
    });
    held.shift()!.end();
    await first.body.text();
    const again = await callHost(a, {
      method: 'GET',
      path: '/stream',
      accept: 'application/json',
      bodyTimeout: 0,
    });
    expect(again.statusCode).toBe(200);
    held.shift()!.end();
    await again.body.text();
    expect(host.shares.streams.count('s')).toBe(0);
  });

  it('reserves the streams of a watch across namespaces all at once, or none without a host call', async () => {
    const a = host.forTenant('r', { ...DEFAULT_LIMITS, hostWatchStreams: 5 });
    const three = a.reserveStreams(3);
    expect(host.shares.streams.count('r')).toBe(3);
    // Streams opened under the reservation are not counted a second time.
    const open = await callHost(three.host, {
      method: 'GET',
      path: '/stream',
      accept: 'application/json',
      bodyTimeout: 0,
    });
    expect(host.shares.streams.count('r')).toBe(3);
    const arrivals = held.length;
    let refused: unknown;
    try {
      a.reserveStreams(3);
    } catch (err) {
      refused = err;
    }
    expect((refused as StatusError).status).toMatchObject({ code: 429, reason: 'TooManyRequests' });
    expect(held.length).toBe(arrivals);
    expect(host.shares.streams.count('r')).toBe(3);
    held.pop()!.end();
    await open.body.text();
    three.release();
    three.release();
    expect(host.shares.streams.count('r')).toBe(0);
    a.reserveStreams(5).release();
  });

  it('closing a tenant view leaves the shared pool open', async () => {
    await host.forTenant('c', DEFAULT_LIMITS).close();
    expect((await host.request('GET', '/fast')).status).toBe(200);
  });
});
