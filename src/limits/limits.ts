// Per-tenant limits (Tenant `spec.limits`) and their safe defaults. One table drives the defaults,
// the CRD schema (so `kubectl explain tenant.spec.limits` shows them) and the parsing of a spec.
export interface TenantLimits {
  /** Objects in the tenant's virtual store (namespaces, RBAC, CRDs, custom resources...). */
  objects: number;
  /** Bytes of serialized objects in the tenant's virtual store. */
  storeBytes: number;
  /** Virtual namespaces. */
  namespaces: number;
  /** Concurrent long-running requests: watches (virtual and host-backed), exec, attach, port-forward, followed logs. */
  watches: number;
  /** Concurrent seats of short requests kplex serves for the tenant (a LIST takes several). */
  inFlightRequests: number;
  /** Requests waiting for a seat; past it the tenant is answered 429 with Retry-After. */
  queueLength: number;
  /** Concurrent short requests on the shared host connection pool. */
  hostInFlight: number;
  /** Concurrent host watch streams (an all-namespace watch opens one per host namespace). */
  hostWatchStreams: number;
}

interface LimitDoc {
  default: number;
  description: string;
}

const MiB = 1024 * 1024;

/** The defaults and what each limit bounds: the CRD schema's descriptions are built from this. */
export const LIMITS: Record<keyof TenantLimits, LimitDoc> = {
  objects: {
    default: 20_000,
    description:
      'Objects in the tenant\'s virtual store (namespaces, RBAC objects, CRDs, custom resources, admission policies). A create past it is refused with 403 "exceeded quota" (count/objects).',
  },
  storeBytes: {
    default: 256 * MiB,
    description:
      'Bytes of serialized objects in the tenant\'s virtual store. A write that grows the store past it is refused with 403 "exceeded quota" (kplex.io/store-bytes).',
  },
  namespaces: {
    default: 500,
    description:
      'Virtual namespaces of the tenant. A create past it is refused with 403 "exceeded quota" (count/namespaces).',
  },
  watches: {
    default: 250,
    description:
      'Concurrent long-running requests: watches (virtual and host-backed; an all-namespace watch counts once), exec, attach, port-forward and followed logs. Past it: 429 TooManyRequests with Retry-After.',
  },
  inFlightRequests: {
    default: 8,
    description:
      "Seats of concurrently served short requests (a LIST takes 4, a write a seat per started 512 KiB of body, other requests 1). Requests past it wait in the tenant's queue; the process's seats are shared fairly (round-robin) between tenants.",
  },
  queueLength: {
    default: 128,
    description:
      'Requests that may wait for a seat; past it, or after 10 s of waiting, the request is answered 429 TooManyRequests with Retry-After.',
  },
  hostInFlight: {
    default: 16,
    description:
      "Concurrent short requests of the tenant on kplex's shared host connection pool; more wait in the tenant's own queue, so a slow host answer for one tenant never queues another tenant's requests.",
  },
  hostWatchStreams: {
    default: 500,
    description:
      'Concurrent host watch streams of the tenant (an all-namespace watch of a host-backed resource opens one per host namespace). Past it: 429 TooManyRequests with Retry-After.',
  },
};

export const LIMIT_NAMES = Object.keys(LIMITS) as (keyof TenantLimits)[];

export const DEFAULT_LIMITS: Readonly<TenantLimits> = Object.freeze(
  Object.fromEntries(LIMIT_NAMES.map((k) => [k, LIMITS[k].default])) as unknown as TenantLimits,
);

/** The `spec.limits` block of the Tenant CRD's schema. */
export function limitsSchema(): Record<string, unknown> {
  return {
    type: 'object',
    description:
      'Resource limits of the tenant. Unset fields take their default (named in each description).',
    properties: Object.fromEntries(
      LIMIT_NAMES.map((k) => [
        k,
        {
          type: 'integer',
          format: 'int64',
          minimum: 0,
          description: `${LIMITS[k].description} Default: ${LIMITS[k].default}.`,
        },
      ]),
    ),
  };
}

/** The effective limits of a Tenant object's spec: every field the spec does not set (validly) is its default. */
export function limitsFromSpec(spec: unknown): TenantLimits {
  const raw = spec && typeof spec === 'object' ? (spec as Record<string, unknown>)['limits'] : undefined;
  const given = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const out = { ...DEFAULT_LIMITS };
  for (const k of LIMIT_NAMES) {
    const v = given[k];
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) out[k] = v;
  }
  return out;
}
