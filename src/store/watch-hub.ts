// In-memory fan-out of one tenant store's committed changes to its watchers.
//
// Ordering rules (all delivery is synchronous, on the writer's call stack):
// - the hub dispatches committed events one at a time in rv order to every watcher; a write made
//   by a watcher callback is queued behind the events still being dispatched, so no watcher ever
//   sees a later rv before an earlier one;
// - every watcher keeps a cursor (the highest rv handed to it) and drops events at or below it,
//   so replayed change-log rows and live events never produce a duplicate;
// - a new watcher's replay rows are queued before any live event can reach it.
import type { ChangeEvent, Watcher } from './types.js';

export interface WatchFilter {
  group: string;
  resource: string;
  namespace?: string;
}

export function matchesFilter(f: WatchFilter, e: ChangeEvent): boolean {
  return (
    e.key.group === f.group &&
    e.key.resource === f.resource &&
    (f.namespace === undefined || e.key.namespace === f.namespace)
  );
}

class Subscription implements Watcher {
  private queue: ChangeEvent[] = [];
  private busy = false;
  stopped = false;

  constructor(
    private readonly hub: WatchHub,
    readonly filter: WatchFilter,
    private cursor: number,
    private readonly onEvent: (e: ChangeEvent) => void,
  ) {}

  /** Queues the replay before draining, so live events raised by callbacks land after it. */
  start(replay: ChangeEvent[]): void {
    this.busy = true;
    for (const e of replay) this.offer(e);
    this.busy = false;
    this.drain();
  }

  offer(e: ChangeEvent): void {
    if (this.stopped || e.rv <= this.cursor) return;
    this.cursor = e.rv;
    if (!matchesFilter(this.filter, e)) return;
    this.queue.push(e);
    if (!this.busy) this.drain();
  }

  private drain(): void {
    this.busy = true;
    try {
      // The queue may grow while callbacks run (re-entrant writes); the index loop picks those up.
      for (let i = 0; i < this.queue.length && !this.stopped; i++) {
        const e = this.queue[i]!;
        try {
          this.onEvent(e);
        } catch (err) {
          this.stop();
          this.hub.reportError(err);
        }
      }
    } finally {
      this.queue = [];
      this.busy = false;
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.queue = [];
    this.hub.remove(this);
  }
}

const resourceKey = (group: string, resource: string): string => `${group}/${resource}`;

export class WatchHub {
  /** Watchers by the resource they watch: an event costs the watchers of its resource only. */
  private readonly subs = new Map<string, Set<Subscription>>();
  private count = 0;
  private pending: ChangeEvent[] = [];
  private dispatching = false;

  /** `onError` receives exceptions thrown by watcher callbacks (the watcher is stopped). */
  constructor(private readonly onError: (err: unknown) => void) {}

  get size(): number {
    return this.count;
  }

  /**
   * Registers a watcher that first receives `replay` (committed events with rv > fromRV, in rv
   * order) and then every later published event.
   */
  subscribe(
    filter: WatchFilter,
    fromRV: number,
    replay: ChangeEvent[],
    onEvent: (e: ChangeEvent) => void,
  ): Watcher {
    const sub = new Subscription(this, filter, fromRV, onEvent);
    const key = resourceKey(filter.group, filter.resource);
    let set = this.subs.get(key);
    if (!set) this.subs.set(key, (set = new Set()));
    set.add(sub);
    this.count++;
    sub.start(replay);
    return sub;
  }

  /** Delivers committed events (in rv order) to every watcher of their resource. */
  publish(events: ChangeEvent[]): void {
    if (events.length === 0) return;
    this.pending.push(...events);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let i = 0; i < this.pending.length; i++) {
        const e = this.pending[i]!;
        const set = this.subs.get(resourceKey(e.key.group, e.key.resource));
        if (set) for (const sub of [...set]) sub.offer(e);
      }
    } finally {
      this.pending = [];
      this.dispatching = false;
    }
  }

  /** Stops every watcher (the store is going away). */
  stopAll(): void {
    for (const set of [...this.subs.values()]) for (const sub of [...set]) sub.stop();
  }

  remove(sub: Subscription): void {
    const key = resourceKey(sub.filter.group, sub.filter.resource);
    const set = this.subs.get(key);
    if (!set?.delete(sub)) return;
    this.count--;
    if (set.size === 0) this.subs.delete(key);
  }

  reportError(err: unknown): void {
    this.onError(err);
  }
}
