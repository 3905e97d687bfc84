// A watcher's memory follows what it sends, not the collection: the initial state is read a page
// at a time only as fast as the client takes it, and every watcher of a change gets the same
// change (one encoding shared by all).
import { describe, expect, it } from 'vitest';
import { VirtualRegistry } from '../../../src/registry/registry.js';
import { watch, type WatchEvent } from '../../../src/registry/watch.js';
import { widgetInfo, widgetStrategy } from '../handlers/harness.js';
import { openStore } from '../store/helpers.js';

const N = 3_000;

function setup() {
  const store = openStore();
  const reg = new VirtualRegistry({ tenant: 't1', store, info: widgetInfo, strategy: widgetStrategy });
  const key = (name: string) => ({
    group: widgetInfo.group,
    resource: widgetInfo.resource,
    namespace: 'a',
    name,
  });
  store.transaction(() => {
    for (let i = 0; i < N; i++)
      store.create(key(`w-${String(i).padStart(5, '0')}`), {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: `w-${i}`, namespace: 'a' },
      });
  });
  return { store, reg, key };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('watch memory', () => {
  it('streams the initial state only as fast as the client drains it, then the changes after it', async () => {
    const { store, reg, key } = setup();
    const events: WatchEvent[] = [];
    let release: (() => void) | undefined;
    const w = watch(
      reg,
      'a',
      undefined,
      {},
      {
        event: (e) => void events.push(e),
        close: () => {},
        drained: () => new Promise<void>((r) => (release = r)),
      },
    );
    for (let i = 0; i < 200 && !release; i++) await tick();
    for (let i = 0; i < 5; i++) await tick();
    // One page handed over (read by its stored size, 256 KiB), then it waits for the client:
    // nothing else was read or built.
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(N / 4);
    expect(JSON.stringify(events.map((e) => e.object)).length).toBeLessThan(256 * 1024 + 1024);
    const firstPage = events.length;
    release!();
    for (let i = 0; i < 5; i++) await tick();
    expect(events.length).toBeLessThanOrEqual(2 * firstPage + 1);
    store.create(key('late'), {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'late', namespace: 'a' },
    });
    while (events.length < N) {
      release!();
      await tick();
    }
    release!();
    for (let i = 0; i < 5; i++) await tick();
    expect(events.slice(0, N).every((e) => e.type === 'ADDED')).toBe(true);
    expect(
      events.slice(N).map((e) => [e.type, (e.object as { metadata: { name: string } }).metadata.name]),
    ).toEqual([['ADDED', 'late']]);
    w.stop();
  });

  it('stops reading the initial state when the watch stops', async () => {
    const { reg } = setup();
    const events: WatchEvent[] = [];
    const w = watch(
      reg,
      'a',
      undefined,
      {},
      { event: (e) => void events.push(e), close: () => {}, drained: () => Promise.resolve() },
    );
    w.stop();
    for (let i = 0; i < 20; i++) await tick();
    expect(events.length).toBeLessThan(N);
  });

  it('hands every watcher of a change the same change, so it is encoded once', async () => {
    const { store, reg, key } = setup();
    const seen: WatchEvent[][] = [[], []];
    const ws = seen.map((list) =>
      watch(
        reg,
        'a',
        undefined,
        { resourceVersion: String(store.currentRV()) },
        { event: (e) => void list.push(e), close: () => {} },
      ),
    );
    store.create(key('new'), {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'new', namespace: 'a' },
    });
    expect(seen[0]).toHaveLength(1);
    expect(seen[0]![0]!.change).toBeDefined();
    expect(seen[0]![0]!.change).toBe(seen[1]![0]!.change);
    expect(seen[0]![0]!.object).toMatchObject({ kind: 'Widget', metadata: { name: 'new' } });
    for (const w of ws) w.stop();
  });
});
