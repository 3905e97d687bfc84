// Each tenant's share of kplex's pooled host connections. Short requests take a seat of the
// pool (at most `hostInFlight` per tenant, more wait in the tenant's own queue, queues served
// round-robin), so a slow host answer for one tenant never queues another's requests behind it.
// Long-lived host streams (watches, followed logs) are counted per tenant against
// `hostWatchStreams`. Both act as undici interceptors on the shared agents.
import type { Dispatcher } from 'undici';
import { toStatusError } from '../api/status.js';
import { Counter, FairGate, type Release } from './fair-gate.js';
import type { TenantLimits } from './limits.js';
import { tooManyWatches } from './quota.js';

/** Requests one tenant may have waiting for a host seat (an all-namespace LIST waits with one per namespace). */
const HOST_QUEUE_LENGTH = 4096;

type Handler = Dispatcher.DispatchHandler;
type Controller = Parameters<NonNullable<Handler['onResponseError']>>[0];

/** For failing a request that never reached the host (its handler wants a controller). */
const noController = {
  abort() {},
  pause() {},
  resume() {},
  paused: false,
  aborted: false,
  reason: null,
} as unknown as Controller;

/** Relays a dispatch to `handler`, calling `release` once when the exchange ends, fails or upgrades. */
function releasing(handler: Handler, release: Release): Handler {
  return {
    onRequestStart: (c, ctx) => handler.onRequestStart?.(c, ctx),
    onRequestUpgrade: (c, code, headers, socket) => {
      release();
      handler.onRequestUpgrade?.(c, code, headers, socket);
    },
    onResponseStart: (c, code, headers, msg) => handler.onResponseStart?.(c, code, headers, msg),
    onResponseData: (c, chunk) => handler.onResponseData?.(c, chunk),
    onResponseEnd: (c, trailers) => {
      release();
      handler.onResponseEnd?.(c, trailers);
    },
    onResponseError: (c, err) => {
      release();
      handler.onResponseError?.(c, err);
    },
  };
}

function fail(handler: Handler, err: unknown): void {
  handler.onResponseError?.(noController, err instanceof Error ? err : toStatusError(err));
}

export class HostShares {
  readonly gate: FairGate;
  readonly streams = new Counter();

  /** `connections`: the pool's size, the seats shared by all tenants. */
  constructor(connections: number) {
    this.gate = new FairGate({ total: connections, retryAfterSeconds: 1 });
  }

  /** `pool` with the tenant's short requests fair-queued. */
  shortRequests(pool: Dispatcher, tenant: string, limits: TenantLimits): Dispatcher {
    return pool.compose((dispatch) => (opts, handler) => {
      const given = (opts as { signal?: unknown }).signal;
      const signal = given instanceof AbortSignal ? given : undefined;
      this.gate
        .acquire(tenant, { seats: 1, limit: limits.hostInFlight, queueLength: HOST_QUEUE_LENGTH, signal })
        .then(
          (release) => {
            try {
              dispatch(opts, releasing(handler, release));
            } catch (err) {
              release();
              fail(handler, err);
            }
          },
          (err: unknown) => fail(handler, err),
        );
      return true;
    });
  }

  /**
   * Takes `n` of the tenant's long-lived streams at once, or throws 429 when they are not all free:
   * a watch across namespaces opens all its host watches or none, so a refused one costs the host
   * nothing (taken one by one, 400 refused `-A` watches opened and aborted host watches by the hundred).
   */
  reserveStreams(tenant: string, limits: TenantLimits, n: number): Release {
    const release = this.streams.take(tenant, limits.hostWatchStreams, n);
    if (!release) throw tooManyWatches('host watch streams', limits.hostWatchStreams);
    return release;
  }

  /** `pool` with the tenant's long-lived streams counted (refused with 429 past the limit). */
  longStreams(pool: Dispatcher, tenant: string, limits: TenantLimits): Dispatcher {
    return pool.compose((dispatch) => (opts, handler) => {
      const release = this.streams.take(tenant, limits.hostWatchStreams);
      if (!release) {
        fail(handler, tooManyWatches('host watch streams', limits.hostWatchStreams));
        return true;
      }
      try {
        return dispatch(opts, releasing(handler, release));
      } catch (err) {
        release();
        throw err;
      }
    });
  }
}
