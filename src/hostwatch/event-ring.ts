// The recent events of one shared host watch, kept for watches that resume from a resourceVersion
// (the apiserver's watch cache window): bounded by a count and by bytes, oldest dropped first.
import type { CachedEvent } from './types.js';

export interface RingBounds {
  /** Most events kept. */
  events: number;
  /** Most bytes kept (the host's JSON size of each event). */
  bytes: number;
}

export class EventRing {
  private items: CachedEvent[] = [];
  private head = 0;
  private bytes = 0;
  /** The version of the last event dropped; the list's version until one is. */
  private droppedRV: number;
  private dropped = false;

  constructor(
    private readonly bounds: RingBounds,
    /** The version the cache's state was listed at: every later event is kept from here on. */
    listRV: number,
  ) {
    this.droppedRV = listRV;
  }

  push(ev: CachedEvent): void {
    this.items.push(ev);
    this.bytes += ev.bytes;
    while (this.items.length - this.head > this.bounds.events || this.bytes > this.bounds.bytes) {
      const gone = this.items[this.head++]!;
      this.bytes -= gone.bytes;
      this.droppedRV = gone.rv;
      this.dropped = true;
      if (this.head === this.items.length) break;
    }
    // Compact now and then so the array does not grow with every event ever seen.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * The smallest version a watch may resume from (older ones get 410 Expired), as the apiserver's
   * watch cache: the list's version while no event was dropped, else the first kept event's minus one.
   */
  get oldest(): number {
    const first = this.items[this.head];
    return this.dropped && first ? first.rv - 1 : this.droppedRV;
  }

  /** Events after `rv` in order, or undefined when the ring no longer reaches back to it. */
  since(rv: number): CachedEvent[] | undefined {
    if (rv < this.oldest) return undefined;
    const out: CachedEvent[] = [];
    // Versions grow along the ring: find the first event after rv by binary search.
    let lo = this.head;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.items[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.items.length; i++) out.push(this.items[i]!);
    return out;
  }

  get size(): { events: number; bytes: number } {
    return { events: this.items.length - this.head, bytes: this.bytes };
  }
}
