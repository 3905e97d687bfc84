import { describe, expect, it } from 'vitest';
import { Counter, FairGate, type Release } from '../../../src/limits/fair-gate.js';
import { StatusError } from '../../../src/api/status.js';

const admit = (seats = 1, limit = 2, queueLength = 10, signal?: AbortSignal) => ({
  seats,
  limit,
  queueLength,
  signal,
});
const settle = () => new Promise((r) => setImmediate(r));

describe('FairGate', () => {
  it('grants up to the flow limit at once and queues the rest in order', async () => {
    const g = new FairGate({ total: 10 });
    const order: number[] = [];
    const rel: Release[] = [];
    for (let i = 0; i < 5; i++) void g.acquire('a', admit()).then((r) => (order.push(i), rel.push(r)));
    await settle();
    expect(order).toEqual([0, 1]);
    expect(g.stats('a')).toEqual({ running: 2, waiting: 3 });
    rel[0]!();
    await settle();
    expect(order).toEqual([0, 1, 2]);
  });

  it('serves waiting flows round-robin when the process is full', async () => {
    const g = new FairGate({ total: 2 });
    const order: string[] = [];
    const held: Release[] = [];
    for (const k of ['a', 'a']) held.push(await g.acquire(k, admit(1, 10)));
    // a floods its queue first, then b asks once: b is served after at most one of a's.
    for (let i = 0; i < 5; i++) void g.acquire('a', admit(1, 10)).then((r) => (order.push('a'), r()));
    void g.acquire('b', admit(1, 10)).then((r) => (order.push('b'), r()));
    await settle();
    held[0]!();
    await settle();
    expect(order.indexOf('b')).toBeLessThanOrEqual(1);
    held[1]!();
    await settle();
    expect(order).toHaveLength(6);
    expect(g.inUse).toBe(0);
  });

  it('does not queue one flow behind another flow at its limit', async () => {
    const g = new FairGate({ total: 100 });
    for (let i = 0; i < 2; i++) await g.acquire('slow', admit(1, 2));
    void g.acquire('slow', admit(1, 2));
    const other = await g.acquire('other', admit(1, 2));
    expect(g.stats('other').running).toBe(1);
    other();
  });

  it('answers 429 TooManyRequests with Retry-After when the queue is full', async () => {
    const g = new FairGate({ total: 10, retryAfterSeconds: 1 });
    await g.acquire('a', admit(1, 1, 1));
    void g.acquire('a', admit(1, 1, 1));
    const err = await g.acquire('a', admit(1, 1, 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    const s = (err as StatusError).status;
    expect([s.code, s.reason, s.message, s.details?.retryAfterSeconds]).toEqual([
      429,
      'TooManyRequests',
      'Too many requests, please try again later.',
      1,
    ]);
  });

  it('answers 429 when the wait runs out, and a limit of 0 refuses at once', async () => {
    const g = new FairGate({ total: 10, maxWaitMs: 20 });
    await g.acquire('a', admit(1, 1));
    await expect(g.acquire('a', admit(1, 1))).rejects.toMatchObject({ status: { code: 429 } });
    await expect(g.acquire('z', admit(1, 0))).rejects.toMatchObject({ status: { code: 429 } });
    expect(g.stats('a').waiting).toBe(0);
  });

  it('gives up a queued place when the client goes away', async () => {
    const g = new FairGate({ total: 10 });
    const r = await g.acquire('a', admit(1, 1));
    const ac = new AbortController();
    const waiting = g.acquire('a', admit(1, 1, 10, ac.signal));
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ status: { code: 429 } });
    r();
    expect(g.stats('a')).toEqual({ running: 0, waiting: 0 });
  });

  it('counts wide requests as several seats, clamped to the flow limit', async () => {
    const g = new FairGate({ total: 10 });
    const wide = await g.acquire('a', admit(4, 3));
    expect(g.stats('a').running).toBe(3);
    wide();
    wide();
    expect(g.inUse).toBe(0);
  });
});

describe('Counter', () => {
  it('refuses past the limit and releases once', () => {
    const c = new Counter();
    const a = c.take('t', 2)!;
    const b = c.take('t', 2)!;
    expect(c.take('t', 2)).toBeUndefined();
    a();
    a();
    expect(c.count('t')).toBe(1);
    b();
    expect(c.count('t')).toBe(0);
    expect(c.take('t', 3, 4)).toBeUndefined();
  });
});
