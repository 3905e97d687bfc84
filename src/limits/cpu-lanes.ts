// One lane per tenant for CPU-heavy steps (a page of a streamed LIST: read, decode, encode): a
// tenant's concurrent heavy requests take turns in its lane, so however many it runs at once,
// another tenant's request waits behind at most one of its steps on the event loop.
import { FairGate, type Release } from './fair-gate.js';

const lanes = new FairGate({ total: Number.MAX_SAFE_INTEGER });

/** Resolves once `tenant` may run its next heavy step; call the release when the step is done. */
export function cpuTurn(tenant: string): Promise<Release> {
  // The queue needs no bound of its own: each waiter is a request holding one of the tenant's seats.
  return lanes.acquire(tenant, { seats: 1, limit: 1, queueLength: Number.MAX_SAFE_INTEGER });
}
