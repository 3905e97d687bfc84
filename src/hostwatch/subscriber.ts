// One watch served from a shared host watch: what it wants (namespaces, a filter, from which
// version) and how a cache event becomes its event, as the apiserver's cacheWatcher decides it:
// an object entering the filter is ADDED, leaving it DELETED (its last state, at the event's version).
import type { CachedEvent, CachedItem, ChangeType } from './types.js';

/**
 * Encodings of one object state, shared by every watcher it is sent to unchanged (the same
 * tenant's watchers encode it alike): N watchers starting at once rewrite each object once, not N
 * times. Kept as long as the state is the cache's (a changed object is a new item).
 */
const encodings = new WeakMap<CachedItem, Map<string, unknown>>();

function memoOf(item: CachedItem): Map<string, unknown> {
  let m = encodings.get(item);
  if (!m) encodings.set(item, (m = new Map()));
  return m;
}

/** Where a subscriber's events go; the cache never waits for it. */
export interface SubscriberSink {
  /**
   * One event. `memo` (absent for an event made for this watcher alone) is shared by every
   * subscriber the same object state reaches, keyed by the sink's form and the event type, so equal
   * encodings are made once. False: the watcher cannot keep up.
   */
  event(type: ChangeType, item: CachedItem, rv: number, memo: Map<string, unknown> | undefined): boolean;
  bookmark(rv: number): void;
  /** The cache ended this watch (relisted, stopped, or the watcher fell behind). */
  end(): void;
}

export interface SubscriberSpec {
  /** Host namespaces to follow ('' for cluster-scoped objects). */
  namespaces: Iterable<string>;
  /** Whether an object is shown at all: selectors, hidden objects, host-view rules. */
  passes(item: CachedItem): boolean;
  /** Events at or before this version are not sent (a watch from a version the cache has not reached). */
  after: number;
  bookmarks: boolean;
  sink: SubscriberSink;
}

export class Subscriber {
  readonly namespaces: Set<string>;
  closed = false;

  constructor(readonly spec: SubscriberSpec) {
    this.namespaces = new Set(spec.namespaces);
  }

  /** A cache event, already known to be in one of this subscriber's namespaces. */
  deliver(ev: CachedEvent): void {
    if (this.closed || ev.rv <= this.spec.after) return;
    const cur = ev.type !== 'DELETED' && this.spec.passes(ev.item);
    const old = ev.prev !== undefined && this.spec.passes(ev.prev);
    let ok = true;
    if (ev.type === 'DELETED') {
      if (old || (!ev.prev && this.spec.passes(ev.item)))
        ok = this.spec.sink.event('DELETED', ev.item, ev.rv, memoOf(ev.item));
    } else if (cur) {
      const type = old ? 'MODIFIED' : 'ADDED';
      ok = this.spec.sink.event(type, ev.item, ev.rv, memoOf(ev.item));
    } else if (old) ok = this.spec.sink.event('DELETED', ev.prev!, ev.rv, undefined);
    if (!ok) this.end();
  }

  /** The current state of objects, as ADDED events (the start of a watch, a namespace that joins). */
  sendState(items: Iterable<CachedItem>, rvOf: (i: CachedItem) => number): void {
    for (const item of items) {
      if (this.closed) return;
      if (this.spec.passes(item) && !this.spec.sink.event('ADDED', item, rvOf(item), memoOf(item)))
        this.end();
    }
  }

  bookmark(rv: number): void {
    if (!this.closed && this.spec.bookmarks && rv > this.spec.after) this.spec.sink.bookmark(rv);
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.spec.sink.end();
  }
}
