// The shared host watch's cache without a host: its state, ring and subscribers fed directly
// (replace = the host's LIST, apply = one host watch event), checked as the apiserver's watch cache behaves.
import { createLogger } from '../../../src/log/logger.js';
import { describe, expect, it } from 'vitest';
import type { HostClient } from '../../../src/hostapi/host-client.js';
import type { CachedItem, ChangeType, Obj } from '../../../src/hostwatch/types.js';
import { HostWatchCache, type Subscription } from '../../../src/hostwatch/watch-cache.js';

const logger = createLogger('silent');
const cm = (ns: string, name: string, rv: number, labels: Record<string, string> = {}): Obj => ({
  kind: 'ConfigMap',
  apiVersion: 'v1',
  metadata: { namespace: ns, name, resourceVersion: String(rv), labels },
});

function cache(bounds = { events: 100, bytes: 1 << 20 }): HostWatchCache {
  const c = new HostWatchCache(
    {} as HostClient,
    { path: '/api/v1/configmaps', format: 'object' },
    bounds,
    logger,
  );
  c.replace([cm('a', 'x', 5), cm('b', 'y', 6), cm('other', 'z', 7)], 10);
  return c;
}

interface Got {
  events: string[];
  bookmarks: number[];
  ended: boolean;
}

function subscribe(
  c: HostWatchCache,
  namespaces: string[],
  from: number | undefined,
  passes: (i: CachedItem) => boolean = () => true,
): { got: Got; sub: Subscription } {
  const got: Got = { events: [], bookmarks: [], ended: false };
  const sub = c.subscribe(
    {
      namespaces,
      passes,
      bookmarks: true,
      sink: {
        event: (type: ChangeType, item: CachedItem, rv: number) => {
          got.events.push(`${type} ${item.ns}/${item.name}@${rv}`);
          return true;
        },
        bookmark: (rv) => void got.bookmarks.push(rv),
        end: () => void (got.ended = true),
      },
    },
    from,
  );
  if (typeof sub === 'string' || !('addNamespace' in sub))
    throw new Error(`not served: ${JSON.stringify(sub)}`);
  return { got, sub };
}

describe('shared host watch cache', () => {
  it('starts a watch without a version with the current objects of its namespaces only, as ADDED', () => {
    const c = cache();
    const { got } = subscribe(c, ['a', 'b'], undefined);
    expect(got.events).toEqual(['ADDED a/x@5', 'ADDED b/y@6']);
  });

  it('sends events of its namespaces only, in order', () => {
    const c = cache();
    const { got } = subscribe(c, ['a'], undefined);
    c.apply('ADDED', cm('other', 'n', 11), 10);
    c.apply('MODIFIED', cm('a', 'x', 12), 10);
    c.apply('DELETED', cm('a', 'x', 13), 10);
    expect(got.events).toEqual(['ADDED a/x@5', 'MODIFIED a/x@12', 'DELETED a/x@13']);
    expect(c.resourceVersion).toBe(13);
  });

  it('ignores an event it already applied (versions only grow)', () => {
    const c = cache();
    const { got } = subscribe(c, ['a'], 10);
    c.apply('MODIFIED', cm('a', 'x', 12), 10);
    c.apply('MODIFIED', cm('a', 'x', 12), 10);
    expect(got.events).toEqual(['MODIFIED a/x@12']);
  });

  it('resumes from a version with the ring events after it', () => {
    const c = cache();
    c.apply('MODIFIED', cm('a', 'x', 11), 10);
    c.apply('ADDED', cm('b', 'w', 12), 10);
    c.apply('MODIFIED', cm('a', 'x', 13), 10);
    expect(subscribe(c, ['a', 'b'], 11).got.events).toEqual(['ADDED b/w@12', 'MODIFIED a/x@13']);
    expect(subscribe(c, ['a', 'b'], 10).got.events).toHaveLength(3);
    expect(subscribe(c, ['a', 'b'], 13).got.events).toEqual([]);
  });

  it('answers a version older than the ring with Expired (the oldest version still served)', () => {
    const c = cache({ events: 2, bytes: 1 << 20 });
    for (let rv = 11; rv <= 14; rv++) c.apply('MODIFIED', cm('a', 'x', rv), 10);
    // 13 and 14 kept: a watch may resume from 12 on
    expect(c.oldest).toBe(12);
    expect(c.subscribe({ namespaces: ['a'], passes: () => true, bookmarks: false, sink: null! }, 11)).toEqual(
      {
        requested: 11,
        oldest: 12,
      },
    );
    expect(subscribe(c, ['a'], 12).got.events).toEqual(['MODIFIED a/x@13', 'MODIFIED a/x@14']);
  });

  it('leaves a watch from before its list to the host (whose window may still hold it)', () => {
    const c = cache();
    expect(c.subscribe({ namespaces: ['a'], passes: () => true, bookmarks: false, sink: null! }, 9)).toBe(
      'before-cache',
    );
    expect(subscribe(c, ['a'], 10).got.events).toEqual([]);
  });

  it('bounds the ring by bytes too', () => {
    const c = cache({ events: 100, bytes: 250 });
    for (let rv = 11; rv <= 14; rv++) c.apply('MODIFIED', cm('a', 'x', rv), 100);
    expect(c.oldest).toBe(12);
  });

  it('a watch from a version the cache has not reached gets only the events after it', () => {
    const c = cache();
    const { got } = subscribe(c, ['a'], 20);
    for (let rv = 11; rv <= 22; rv++) c.apply('MODIFIED', cm('a', 'x', rv), 10);
    expect(got.events).toEqual(['MODIFIED a/x@21', 'MODIFIED a/x@22']);
  });

  it('turns events into ADDED and DELETED as objects enter and leave a selector', () => {
    const c = cache();
    const sel = (i: CachedItem) =>
      (i.object['metadata'] as { labels?: Record<string, string> }).labels?.['app'] === 'web';
    const { got } = subscribe(c, ['a'], undefined, sel);
    c.apply('MODIFIED', cm('a', 'x', 11, { app: 'web' }), 10);
    c.apply('MODIFIED', cm('a', 'x', 12, { app: 'web', v: '2' }), 10);
    c.apply('MODIFIED', cm('a', 'x', 13, { app: 'db' }), 10);
    c.apply('DELETED', cm('a', 'x', 14, { app: 'db' }), 10);
    // the last state inside the selector is sent as DELETED, at the event's version
    expect(got.events).toEqual(['ADDED a/x@11', 'MODIFIED a/x@12', 'DELETED a/x@13']);
  });

  it('a namespace that joins sends its cached objects as ADDED, then its events', () => {
    const c = cache();
    const { got, sub } = subscribe(c, ['a'], undefined);
    c.apply('ADDED', cm('b', 'late', 11), 10);
    sub.addNamespace('b');
    c.apply('MODIFIED', cm('b', 'late', 12), 10);
    expect(got.events).toEqual(['ADDED a/x@5', 'ADDED b/y@6', 'ADDED b/late@11', 'MODIFIED b/late@12']);
  });

  it('a closed subscription gets nothing more', () => {
    const c = cache();
    const { got, sub } = subscribe(c, ['a'], 10);
    sub.close();
    c.apply('MODIFIED', cm('a', 'x', 11), 10);
    expect(got.events).toEqual([]);
    expect(c.subscriberCount).toBe(0);
  });

  it('a watcher that cannot keep up is ended', () => {
    const c = cache();
    let ended = false;
    c.subscribe(
      {
        namespaces: ['a'],
        passes: () => true,
        bookmarks: false,
        sink: { event: () => false, bookmark: () => undefined, end: () => void (ended = true) },
      },
      10,
    );
    c.apply('MODIFIED', cm('a', 'x', 11), 10);
    expect(ended).toBe(true);
    expect(c.subscriberCount).toBe(0);
  });

  it('a relist ends every watcher (they re-watch) and restarts the ring at the list version', () => {
    const c = cache();
    const { got } = subscribe(c, ['a'], 10);
    c.replace([cm('a', 'x', 30)], 40);
    expect(got.ended).toBe(true);
    expect(c.oldest).toBe(40);
    expect(c.subscribe({ namespaces: ['a'], passes: () => true, bookmarks: false, sink: null! }, 20)).toBe(
      'before-cache',
    );
  });

  it('shares one encoding among watchers an object state reaches', () => {
    const c = cache();
    const memos: unknown[] = [];
    for (let i = 0; i < 2; i++)
      c.subscribe(
        {
          namespaces: ['a'],
          passes: () => true,
          bookmarks: false,
          sink: {
            event: (_t, _i, _rv, memo) => {
              memos.push(memo);
              return true;
            },
            bookmark: () => undefined,
            end: () => undefined,
          },
        },
        10,
      );
    c.apply('MODIFIED', cm('a', 'x', 11), 10);
    expect(memos).toHaveLength(2);
    expect(memos[0]).toBeDefined();
    expect(memos[0]).toBe(memos[1]);
  });
});
