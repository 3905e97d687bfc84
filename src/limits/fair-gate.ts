// Fair queuing of concurrent work between flows (tenants), in the manner of API Priority and
// Fairness: the process has `total` seats; each flow may hold at most its own limit of them and
// waits in a bounded queue of its own when at that limit. When seats free up, waiting flows are
// served round-robin, so one flow's load or slowness never queues another flow behind it.
import type { StatusError } from '../api/status.js';
import { rejected } from './quota.js';

export type Release = () => void;

interface Waiter {
  seats: number;
  grant: (r: Release) => void;
  fail: (e: StatusError) => void;
  timer?: NodeJS.Timeout;
}

interface Flow {
  key: string;
  running: number;
  limit: number;
  queue: Waiter[];
}

export interface FairGateOptions {
  /** Seats of the whole process (shared by all flows). */
  total: number;
  /** How long a request may wait in its flow's queue before 429 (0: no bound). */
  maxWaitMs?: number;
  /** Retry-After of a refusal. */
  retryAfterSeconds?: number;
}

export interface Admission {
  /** Seats the request takes (clamped to the flow's limit, so a wide request still runs). */
  seats: number;
  /** The flow's seat limit. */
  limit: number;
  /** Requests the flow may have waiting. */
  queueLength: number;
  /** Aborting gives up the place in the queue (the client went away). */
  signal?: AbortSignal;
}

export class FairGate {
  private readonly flows = new Map<string, Flow>();
  /** Flows with waiters, in round-robin order. */
  private readonly ring: Flow[] = [];
  private next = 0;
  private used = 0;

  constructor(private readonly opts: FairGateOptions) {}

  /** Seats in use across all flows. */
  get inUse(): number {
    return this.used;
  }

  /** Seats held and requests waiting in one flow. */
  stats(key: string): { running: number; waiting: number } {
    const f = this.flows.get(key);
    return { running: f?.running ?? 0, waiting: f?.queue.length ?? 0 };
  }

  /** Resolves with a release once seats are granted; rejects with 429 when the queue is full or the wait ran out. */
  acquire(key: string, a: Admission): Promise<Release> {
    const flow = this.flow(key, a.limit);
    const seats = Math.max(1, Math.min(a.seats, flow.limit, this.opts.total));
    if (flow.queue.length === 0 && this.fits(flow, seats)) return Promise.resolve(this.grant(flow, seats));
    if (flow.limit === 0 || flow.queue.length >= a.queueLength) {
      this.forget(flow);
      return Promise.reject(rejected(this.opts.retryAfterSeconds));
    }
    return new Promise<Release>((resolve, reject) => {
      const w: Waiter = { seats, grant: resolve, fail: reject };
      const leave = (): void => {
        const i = flow.queue.indexOf(w);
        if (i < 0) return;
        flow.queue.splice(i, 1);
        clearTimeout(w.timer);
        if (flow.queue.length === 0) this.unring(flow);
        this.forget(flow);
        reject(rejected(this.opts.retryAfterSeconds));
      };
      if (this.opts.maxWaitMs) {
        w.timer = setTimeout(leave, this.opts.maxWaitMs);
        w.timer.unref();
      }
      a.signal?.addEventListener('abort', leave, { once: true });
      flow.queue.push(w);
      if (flow.queue.length === 1) this.ring.push(flow);
    });
  }

  private flow(key: string, limit: number): Flow {
    let f = this.flows.get(key);
    if (!f) this.flows.set(key, (f = { key, running: 0, limit, queue: [] }));
    f.limit = limit;
    return f;
  }

  private fits(flow: Flow, seats: number): boolean {
    return flow.running + seats <= flow.limit && this.used + seats <= this.opts.total;
  }

  private grant(flow: Flow, seats: number): Release {
    flow.running += seats;
    this.used += seats;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      flow.running -= seats;
      this.used -= seats;
      this.dispatch();
      this.forget(flow);
    };
  }

  /** Hands freed seats to waiting flows, one request per flow per turn. */
  private dispatch(): void {
    let idle = 0;
    while (this.ring.length > 0 && idle < this.ring.length) {
      if (this.next >= this.ring.length) this.next = 0;
      const flow = this.ring[this.next]!;
      const head = flow.queue[0]!;
      if (!this.fits(flow, head.seats)) {
        idle++;
        this.next++;
        continue;
      }
      idle = 0;
      flow.queue.shift();
      clearTimeout(head.timer);
      if (flow.queue.length === 0) this.unring(flow);
      else this.next++;
      head.grant(this.grant(flow, head.seats));
    }
  }

  private unring(flow: Flow): void {
    const i = this.ring.indexOf(flow);
    if (i < 0) return;
    this.ring.splice(i, 1);
    if (i < this.next) this.next--;
  }

  /** Idle flows are dropped: memory stays bounded by the flows that are active. */
  private forget(flow: Flow): void {
    if (flow.running === 0 && flow.queue.length === 0 && this.flows.get(flow.key) === flow)
      this.flows.delete(flow.key);
  }
}

/** Counts concurrent long-running things per flow against a limit, without queuing. */
export class Counter {
  private readonly counts = new Map<string, number>();

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Takes `n` units, or returns undefined when that would pass `limit`. */
  take(key: string, limit: number, n = 1): Release | undefined {
    const c = this.count(key);
    if (c + n > limit) return undefined;
    this.counts.set(key, c + n);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.count(key) - n;
      if (left > 0) this.counts.set(key, left);
      else this.counts.delete(key);
    };
  }
}
