// One watch served from a shared host watch: what it wants (namespaces, a filter, from which
// version) and how a cache event becomes its event, as the apiserver's cacheWatcher decides it:
// an object entering the filter is ADDED, leaving it DELETED (its last state, at the event's version).
import type { CachedEvent, CachedItem, ChangeType } from './types.js';

/** Where a subscriber's events go; the cache never waits for it. */
export interface SubscriberSink {
  /**
   * One event. `memo` is shared by every subscriber the same cache event reaches unchanged (same
   * type, same object), so equal encodings are made once. False: the watcher cannot keep up.
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
  deliver(ev: CachedEvent, memo: Map<string, unknown>): void {
    if (this.closed || ev.rv <= this.spec.after) return;
    const cur = ev.type !== 'DELETED' && this.spec.passes(ev.item);
    const old = ev.prev !== undefined && this.spec.passes(ev.prev);
    let ok = true;
    if (ev.type === 'DELETED') {
      if (old || (!ev.prev && this.spec.passes(ev.item)))
        ok = this.spec.sink.event('DELETED', ev.item, ev.rv, memo);
    } else if (cur) {
      const type = old ? 'MODIFIED' : 'ADDED';
      ok = this.spec.sink.event(type, ev.item, ev.rv, type === ev.type ? memo : undefined);
    } else if (old) ok = this.spec.sink.event('DELETED', ev.prev!, ev.rv, undefined);
    if (!ok) this.end();
  }

  /** The current state of objects, as ADDED events (the start of a watch, a namespace that joins). */
  sendState(items: Iterable<CachedItem>, rvOf: (i: CachedItem) => number): void {
    for (const item of items) {
      if (this.closed) return;
      if (this.spec.passes(item) && !this.spec.sink.event('ADDED', item, rvOf(item), undefined)) this.end();
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
