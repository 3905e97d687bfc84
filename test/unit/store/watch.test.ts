import { describe, expect, it } from 'vitest';
import { StatusError } from '../../../src/api/status.js';
import type { ChangeEvent } from '../../../src/store/types.js';
import { cm, configMap, crd, openStore, thrown } from './helpers.js';

const configmaps = { group: '', resource: 'configmaps' };

function collect(): { events: ChangeEvent[]; push: (e: ChangeEvent) => void } {
  const events: ChangeEvent[] = [];
  return { events, push: (e) => events.push(e) };
}

const rvs = (events: ChangeEvent[]) => events.map((e) => e.rv);

describe('SqliteTenantStore watch', () => {
  it('replays the change log after fromRV, then delivers live events after commit', () => {
    const s = openStore();
    s.create(cm('a', 'x'), configMap(cm('a', 'x')));
    s.update(cm('a', 'x'), configMap(cm('a', 'x'), { v: '2' }));
    s.create(cm('b', 'y'), {});
    const c = collect();
    const w = s.watch({ ...configmaps, fromRV: 1 }, c.push);
    expect(c.events.map((e) => [e.rv, e.type, e.key.name])).toEqual([
      [2, 'MODIFIED', 'x'],
      [3, 'ADDED', 'y'],
    ]);
    expect(c.events[0]!.object).toMatchObject({ data: { v: '2' }, metadata: { resourceVersion: '2' } });

    s.delete(cm('a', 'x'));
    expect(c.events.at(-1)).toMatchObject({ rv: 4, type: 'DELETED', key: cm('a', 'x') });
    expect(c.events.at(-1)!.object).toMatchObject({ data: { v: '2' }, metadata: { resourceVersion: '4' } });
    w.stop();
    s.create(cm('a', 'after-stop'), {});
    expect(rvs(c.events)).toEqual([2, 3, 4]);
  });

  it('filters by group, resource and namespace', () => {
    const s = openStore();
    const inNs = collect();
    const allNs = collect();
    s.watch({ ...configmaps, namespace: 'a', fromRV: 0 }, inNs.push);
    s.watch({ ...configmaps, fromRV: 0 }, allNs.push);
    s.create(cm('a', '1'), {});
    s.create(cm('b', '2'), {});
    s.create(crd('c'), {});
    s.create({ ...cm('a', '3'), resource: 'secrets' }, {});
    expect(rvs(inNs.events)).toEqual([1]);
    expect(rvs(allNs.events)).toEqual([1, 2]);
  });

  it('delivers a transaction only after it commits, and nothing when it rolls back', () => {
    const s = openStore();
    const c = collect();
    s.watch({ ...configmaps, fromRV: 0 }, c.push);
    s.transaction(() => {
      s.create(cm('a', '1'), {});
      s.create(cm('a', '2'), {});
      expect(c.events).toEqual([]);
    });
    expect(rvs(c.events)).toEqual([1, 2]);
    expect(() =>
      s.transaction(() => {
        s.create(cm('a', '3'), {});
        throw new Error('abort');
      }),
    ).toThrow('abort');
    s.create(cm('a', '4'), {});
    expect(c.events.map((e) => [e.rv, e.key.name])).toEqual([
      [1, '1'],
      [2, '2'],
      [3, '4'],
    ]);
  });

  it('a watch opened inside a transaction gets its uncommitted writes once, at commit', () => {
    const s = openStore();
    s.create(cm('a', '0'), {});
    const c = collect();
    s.transaction(() => {
      s.create(cm('a', '1'), {});
      s.watch({ ...configmaps, fromRV: 0 }, c.push);
      expect(rvs(c.events)).toEqual([1]);
    });
    expect(rvs(c.events)).toEqual([1, 2]);
  });

  it('keeps rv order and exactly-once when callbacks write and open watches during replay', () => {
    const s = openStore();
    for (let i = 0; i < 5; i++) s.create(cm('a', `pre${i}`), {});
    const nested = collect();
    const outer: ChangeEvent[] = [];
    const other = collect();
    s.watch({ ...configmaps, fromRV: 0 }, other.push);
    s.watch({ ...configmaps, fromRV: 0 }, (e) => {
      outer.push(e);
      // Writes from inside a callback, during replay and during live delivery.
      if (e.key.name === 'pre1') s.create(cm('a', 'from-replay'), {});
      if (e.key.name === 'from-replay') s.watch({ ...configmaps, fromRV: 2 }, nested.push);
      if (e.key.name === 'live') s.create(cm('a', 'from-live'), {});
    });
    s.create(cm('a', 'live'), {});
    const expected = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(rvs(outer)).toEqual(expected);
    expect(rvs(other.events)).toEqual(expected);
    expect(rvs(nested.events)).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('a watch opened while a multi-event commit is being delivered sees each event once', () => {
    const s = openStore();
    const late = collect();
    s.watch({ ...configmaps, fromRV: 0 }, (e) => {
      if (e.rv === 1) s.watch({ ...configmaps, fromRV: 0 }, late.push);
    });
    s.transaction(() => {
      for (const n of ['1', '2', '3']) s.create(cm('a', n), {});
    });
    s.create(cm('a', '4'), {});
    expect(rvs(late.events)).toEqual([1, 2, 3, 4]);
  });

  it('never gaps or duplicates while writers and new watchers interleave', async () => {
    const s = openStore({ synchronous: 'NORMAL' });
    const watchers: { from: number; ns?: string; events: ChangeEvent[] }[] = [];
    const writer = async (id: number) => {
      for (let i = 0; i < 60; i++) {
        const k = cm(`ns${(id + i) % 3}`, `w${id}-${i % 7}`);
        if (s.get(k)) {
          if (i % 5 === 0) s.delete(k);
          else s.update(k, configMap(k, { i: String(i) }));
        } else s.create(k, configMap(k));
        if (i % 3 === 0) s.transaction(() => s.create(cm('tx', `w${id}-${i}`), {}));
        await new Promise((r) => setImmediate(r));
      }
    };
    const watcherStarter = async () => {
      for (let i = 0; i < 30; i++) {
        const from = Math.floor(Math.random() * (s.currentRV() + 1));
        const ns = i % 4 === 0 ? 'ns1' : undefined;
        const w = { from, ns, events: [] as ChangeEvent[] };
        watchers.push(w);
        s.watch({ ...configmaps, namespace: ns, fromRV: from }, (e) => w.events.push(e));
        await new Promise((r) => setImmediate(r));
      }
    };
    await Promise.all([writer(1), writer(2), writer(3), watcherStarter()]);
    const log: ChangeEvent[] = [];
    s.watch({ ...configmaps, fromRV: 0 }, (e) => log.push(e));
    expect(rvs(log)).toEqual(Array.from({ length: s.currentRV() }, (_, i) => i + 1));
    for (const w of watchers) {
      const want = log.filter((e) => e.rv > w.from && (w.ns === undefined || e.key.namespace === w.ns));
      expect(rvs(w.events)).toEqual(rvs(want));
      expect(w.events.map((e) => e.type)).toEqual(want.map((e) => e.type));
    }
  });

  it('stops a watcher whose callback throws and reports the error', () => {
    const errors: unknown[] = [];
    const s = openStore({ onWatcherError: (err, tenant) => errors.push([tenant, (err as Error).message]) });
    const good = collect();
    let calls = 0;
    s.watch({ ...configmaps, fromRV: 0 }, () => {
      calls++;
      throw new Error('bad consumer');
    });
    s.watch({ ...configmaps, fromRV: 0 }, good.push);
    s.create(cm('a', '1'), {});
    s.create(cm('a', '2'), {});
    expect(calls).toBe(1);
    expect(errors).toEqual([['t', 'bad consumer']]);
    expect(rvs(good.events)).toEqual([1, 2]);
    expect(s.watcherCount).toBe(1);
  });
});

describe('change log retention', () => {
  it('keeps the last N changes and answers 410 Expired for older watches', () => {
    const s = openStore({ changeLogRetention: 5 });
    for (let i = 0; i < 12; i++) s.create(cm('a', String(i)), {});
    expect(s.oldestWatchableRV()).toBe(7);
    const c = collect();
    s.watch({ ...configmaps, fromRV: 7 }, c.push);
    expect(rvs(c.events)).toEqual([8, 9, 10, 11, 12]);

    const err = thrown(() => s.watch({ ...configmaps, fromRV: 6 }, () => {})) as StatusError;
    expect(err).toBeInstanceOf(StatusError);
    expect(err.status).toMatchObject({
      code: 410,
      reason: 'Expired',
      message: 'too old resource version: 6 (7)',
    });
  });

  it('survives reopen and rolls back with its transaction', () => {
    const s = openStore({ changeLogRetention: 3 });
    for (let i = 0; i < 4; i++) s.create(cm('a', String(i)), {});
    expect(s.oldestWatchableRV()).toBe(1);
    expect(() =>
      s.transaction(() => {
        s.create(cm('a', 'x'), {});
        s.create(cm('a', 'y'), {});
        throw new Error('abort');
      }),
    ).toThrow('abort');
    expect(s.oldestWatchableRV()).toBe(1);
    const c = collect();
    s.watch({ ...configmaps, fromRV: 1 }, c.push);
    expect(rvs(c.events)).toEqual([2, 3, 4]);
    c.events.length = 0;
    s.close();
    // 0 watchers needed to close in the pool; the store itself still closes with a watcher.
    s.create(cm('a', 'z'), {});
    expect(s.oldestWatchableRV()).toBe(2);
    expect(rvs(c.events)).toEqual([5]);
  });
});
