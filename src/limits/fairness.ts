// The fairness stage of the request path: every tenant request takes seats of the process's
// concurrency (short requests, fair-queued per tenant) or a place among the tenant's
// long-running requests (watches, exec, logs: not counted as in flight, as in the apiserver).
import type { ServerResponse } from 'node:http';
import type { RequestInfo } from '../api/request-info.js';
import { Counter, FairGate, type Release } from './fair-gate.js';
import { tooManyWatches } from './quota.js';
import { holdAfterRefusal } from './refusal-backoff.js';
import { isStatusError } from '../api/status.js';
import type { LimitsOf } from './tenant-limits.js';

/** genericfilters.BasicLongRunningRequestCheck as the kube-apiserver configures it. */
const LONG_RUNNING_VERBS = new Set(['watch', 'proxy']);
const LONG_RUNNING_SUBRESOURCES = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);

/** Seats a request takes: collection reads and deletes do work in proportion to the collection (APF's list work estimator widens them the same way). */
const SEATS: Record<string, number> = { list: 4, deletecollection: 4 };
/**
 * A write's body is decoded, validated, stored and encoded again on the one event loop every tenant
 * shares: a big body takes a seat per started 512 KiB, so a tenant's concurrent big writes run
 * (nearly) one at a time and another tenant's request waits behind few of their steps.
 */
const BODY_BYTES_PER_SEAT = 512 * 1024;

/** The seats of one request: by verb, widened by the size of the body it declares. */
export function seatsOf(info: RequestInfo, contentLength: string | undefined): number {
  const bytes = Number(contentLength);
  const bySize = Number.isSafeInteger(bytes) && bytes > 0 ? Math.ceil(bytes / BODY_BYTES_PER_SEAT) : 1;
  return Math.max(SEATS[info.verb] ?? 1, bySize);
}

export interface FairnessOptions {
  limits: LimitsOf;
  /** Seats of the whole process. Default 400, the apiserver's --max-requests-inflight. */
  totalSeats?: number;
  /** Longest wait in a tenant's queue before 429. Default 10 s. */
  maxWaitMs?: number;
}

export function isLongRunning(info: RequestInfo): boolean {
  return (
    LONG_RUNNING_VERBS.has(info.verb) ||
    (info.isResourceRequest && LONG_RUNNING_SUBRESOURCES.has(info.subresource))
  );
}

export class Fairness {
  readonly gate: FairGate;
  readonly longRunning = new Counter();

  constructor(private readonly opts: FairnessOptions) {
    this.gate = new FairGate({
      total: opts.totalSeats ?? 400,
      maxWaitMs: opts.maxWaitMs ?? 10_000,
      retryAfterSeconds: 1,
    });
  }

  /**
   * Admits one request of `tenant` (waiting in the tenant's queue if it must), or throws 429.
   * The returned release is also tied to the response's close, so it always runs once.
   */
  async admit(
    tenant: string,
    info: RequestInfo,
    res: ServerResponse,
    contentLength?: string,
  ): Promise<Release> {
    try {
      return await this.seat(tenant, info, res, contentLength);
    } catch (err) {
      const wait = isStatusError(err) ? err.status.details?.retryAfterSeconds : undefined;
      if (wait) holdAfterRefusal(res, wait);
      throw err;
    }
  }

  private async seat(
    tenant: string,
    info: RequestInfo,
    res: ServerResponse,
    contentLength?: string,
  ): Promise<Release> {
    const limits = this.opts.limits(tenant);
    if (isLongRunning(info)) {
      const release = this.longRunning.take(tenant, limits.watches);
      if (!release) throw tooManyWatches('watches and streams', limits.watches);
      res.once('close', release);
      return release;
    }
    const gone = new AbortController();
    const onClose = (): void => gone.abort();
    res.once('close', onClose);
    let release: Release;
    try {
      release = await this.gate.acquire(tenant, {
        seats: seatsOf(info, contentLength),
        limit: limits.inFlightRequests,
        queueLength: limits.queueLength,
        signal: gone.signal,
      });
    } finally {
      res.off('close', onClose);
    }
    res.once('close', release);
    return release;
  }
}
