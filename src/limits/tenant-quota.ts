// The tenant-wide quota (Tenant spec.policy.quota): one ResourceQuota's worth of hard limits for all
// the tenant's namespaces together. What each resource name counts, per kind, is data (QUOTA_RESOURCES);
// usage is kept in milli-units (BigInt) as the apiserver's quota evaluators count them, and a refusal
// is the ResourceQuota admission plugin's 403 naming the tenant's quota.
import type { StatusError } from '../api/status.js';
import { exceededQuota } from './quota.js';

/** The quota's name in errors and the read-only ResourceQuota shown in every tenant namespace. */
export const TENANT_QUOTA_NAME = 'tenant-quota.kplex.io';
/** The annotation the pod webhook stamps on a pod it reserved for (hidden from the tenant: kplex.io/). */
export const RESERVATION_ANNOTATION = 'kplex.io/quota-reservation';

export type QuotaKind = 'pods' | 'services' | 'persistentvolumeclaims' | 'namespaces';
type Unit = 'count' | 'cpu' | 'bytes';
type Obj = Record<string, unknown>;

/**
 * The resource names the tenant quota knows: the kind whose objects they count, their unit, and
 * whether the host's own quota evaluates them (namespaces are kplex's: they live in its store).
 */
export const QUOTA_RESOURCES: Readonly<Record<string, { kind: QuotaKind; unit: Unit; host: boolean }>> = {
  pods: { kind: 'pods', unit: 'count', host: true },
  'requests.cpu': { kind: 'pods', unit: 'cpu', host: true },
  'requests.memory': { kind: 'pods', unit: 'bytes', host: true },
  'limits.cpu': { kind: 'pods', unit: 'cpu', host: true },
  'limits.memory': { kind: 'pods', unit: 'bytes', host: true },
  services: { kind: 'services', unit: 'count', host: true },
  'services.nodeports': { kind: 'services', unit: 'count', host: true },
  'services.loadbalancers': { kind: 'services', unit: 'count', host: true },
  persistentvolumeclaims: { kind: 'persistentvolumeclaims', unit: 'count', host: true },
  'requests.storage': { kind: 'persistentvolumeclaims', unit: 'bytes', host: true },
  namespaces: { kind: 'namespaces', unit: 'count', host: false },
};

/** What host passthrough asks of the tenant quota (tenancy/tenant-quota-ledger.ts serves it). */
export interface TenantQuotaHooks {
  /** Admits a create of a Service or PVC of the tenant `uid` (the admission chain's env.quota). */
  admit(
    uid: string,
    r: {
      kind: 'services' | 'persistentvolumeclaims';
      hostNamespace: string;
      name: string;
      object: unknown;
      dryRun: boolean;
    },
  ): Promise<void>;
  /** A create kplex sent failed: its reservation ends. */
  release(kind: string, hostNamespace: string, name: string): void;
  /** The tenant's quota as shown: hard limits (as the policy writes them) and usage. */
  figures(uid: string): Promise<{ hard: Record<string, string>; used: QuotaUsage }>;
}

/** Usage or limits by resource name, in milli-units (1 pod = 1000n, "1.5" cpu = 1500n). */
export type QuotaUsage = Record<string, bigint>;

const SUFFIX_EXP: Readonly<Record<string, [base: number, exp: number]>> = {
  n: [10, -9],
  u: [10, -6],
  m: [10, -3],
  '': [10, 0],
  k: [10, 3],
  M: [10, 6],
  G: [10, 9],
  T: [10, 12],
  P: [10, 15],
  E: [10, 18],
  Ki: [2, 10],
  Mi: [2, 20],
  Gi: [2, 30],
  Ti: [2, 40],
  Pi: [2, 50],
  Ei: [2, 60],
};
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d{1,3})?$/;

/** A resource.Quantity string in milli-units, rounded up as MilliValue does; undefined if malformed. */
export function milliOf(q: unknown): bigint | undefined {
  const s = typeof q === 'number' && Number.isFinite(q) ? String(q) : q;
  if (typeof s !== 'string') return undefined;
  const m = QUANTITY.exec(s.trim());
  if (!m) return undefined;
  const [, sign, num, suffix = ''] = m as unknown as [string, string, string, string?];
  const [whole, frac = ''] = num.split('.');
  // value = digits * 10^-frac.length * base^exp * 1000
  let numer = BigInt(`${whole || '0'}${frac}`) * 1000n;
  let denom = 10n ** BigInt(frac.length);
  const [base, exp] = /^[eE]/.test(suffix) ? [10, Number(suffix.slice(1))] : SUFFIX_EXP[suffix]!;
  if (exp >= 0) numer *= BigInt(base) ** BigInt(exp);
  else denom *= BigInt(base) ** BigInt(-exp);
  const v = (numer + denom - 1n) / denom;
  return sign === '-' ? -v : v;
}

const DECIMAL = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
const BINARY = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** A milli-value as Quantity.String() writes it (canonical: the largest exact suffix). */
export function formatMilli(v: bigint, binary = false): string {
  if (v % 1000n !== 0n) return `${v}m`;
  let n = v / 1000n;
  if (n === 0n) return '0';
  const [step, suffixes] = binary && n % 1024n === 0n ? [1024n, BINARY] : [1000n, DECIMAL];
  let i = 0;
  while (i < suffixes.length - 1 && n % step === 0n) {
    n /= step;
    i++;
  }
  return `${n}${suffixes[i]}`;
}

/** Whether a quota value was written in binary units (Ki, Mi...): its usage is shown so too. */
export const isBinary = (q: string | undefined): boolean => !!q && /i$/.test(q.trim());

/** The tenant quota's `namespaces` (undefined: unlimited). */
export function namespacesQuota(p: { quota: Readonly<Record<string, string>> }): number | undefined {
  const v = hardOf(p.quota)['namespaces'];
  return v === undefined ? undefined : Number(v / 1000n);
}

/** The hard limits of a policy's quota, in milli-units (names the quota does not know, or bad values, left out). */
export function hardOf(quota: Readonly<Record<string, string>>): QuotaUsage {
  const out: QuotaUsage = {};
  for (const [k, q] of Object.entries(quota)) {
    const v = QUOTA_RESOURCES[k] ? milliOf(q) : undefined;
    if (v !== undefined && v >= 0n) out[k] = v;
  }
  return out;
}

const spec = (o: unknown): Obj => ((o as { spec?: Obj } | null)?.spec ?? {}) as Obj;
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const amount = (c: Obj, field: 'requests' | 'limits', r: string): bigint =>
  milliOf(((c['resources'] as Obj | undefined)?.[field] as Obj | undefined)?.[r]) ?? 0n;

/**
 * A pod's requests or limits of one resource as the pod evaluator sums them: the containers and
 * the restartable init containers (sidecars) run together; each other init container runs alone
 * with the sidecars started before it; plus the pod's overhead.
 */
function podAmount(pod: unknown, field: 'requests' | 'limits', r: string): bigint {
  const s = spec(pod);
  let sidecars = 0n;
  let initPeak = 0n;
  for (const c of list(s['initContainers'])) {
    const v = amount(c, field, r);
    if (c['restartPolicy'] === 'Always') sidecars += v;
    else if (sidecars + v > initPeak) initPeak = sidecars + v;
  }
  let sum = sidecars;
  for (const c of list(s['containers'])) sum += amount(c, field, r);
  const overhead = milliOf((s['overhead'] as Obj | undefined)?.[r]) ?? 0n;
  return (sum > initPeak ? sum : initPeak) + overhead;
}

/** A Service's node ports, as the evaluator counts `services.nodeports`. */
function nodePorts(svc: unknown): bigint {
  const s = spec(svc);
  const counted =
    s['type'] === 'NodePort' ||
    (s['type'] === 'LoadBalancer' && s['allocateLoadBalancerNodePorts'] !== false);
  return counted ? BigInt(list(s['ports']).length) * 1000n : 0n;
}

/** Whether a pod still counts: not finished, and not deleted past its grace period (QuotaV1Pod). */
function podCounts(pod: unknown, now: number): boolean {
  const o = pod as { status?: { phase?: string }; metadata?: Obj } | null;
  const phase = o?.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const deleted = o?.metadata?.['deletionTimestamp'];
  if (typeof deleted !== 'string') return true;
  const grace = Number(o?.metadata?.['deletionGracePeriodSeconds'] ?? 0);
  return Date.parse(deleted) + grace * 1000 > now;
}

/** What one object of a kind uses of the tenant quota. */
export function usageOf(kind: QuotaKind, obj: unknown, now = Date.now()): QuotaUsage {
  switch (kind) {
    case 'pods':
      if (!podCounts(obj, now)) return {};
      return {
        pods: 1000n,
        'requests.cpu': podAmount(obj, 'requests', 'cpu'),
        'requests.memory': podAmount(obj, 'requests', 'memory'),
        'limits.cpu': podAmount(obj, 'limits', 'cpu'),
        'limits.memory': podAmount(obj, 'limits', 'memory'),
      };
    case 'services':
      return {
        services: 1000n,
        'services.nodeports': nodePorts(obj),
        'services.loadbalancers': spec(obj)['type'] === 'LoadBalancer' ? 1000n : 0n,
      };
    case 'persistentvolumeclaims':
      return {
        persistentvolumeclaims: 1000n,
        'requests.storage': amount(spec(obj), 'requests', 'storage'),
      };
    case 'namespaces':
      return { namespaces: 1000n };
  }
}

/** a + b, in place on `into`. */
export function addUsage(into: QuotaUsage, u: QuotaUsage, sign: 1n | -1n = 1n): QuotaUsage {
  for (const [k, v] of Object.entries(u)) into[k] = (into[k] ?? 0n) + sign * v;
  return into;
}

/**
 * The refusal of a request that would take `used` past `hard`, as the ResourceQuota plugin words it
 * (only the resources the request grows and the quota limits); undefined when it fits.
 */
export function quotaRefusal(
  gr: { group: string; resource: string },
  name: string,
  requested: QuotaUsage,
  used: QuotaUsage,
  hard: QuotaUsage,
  quota: Readonly<Record<string, string>>,
): StatusError | undefined {
  const req: Record<string, string> = {};
  const u: Record<string, string> = {};
  const lim: Record<string, string> = {};
  for (const [k, v] of Object.entries(requested)) {
    const h = hard[k];
    if (v <= 0n || h === undefined || (used[k] ?? 0n) + v <= h) continue;
    const bin = isBinary(quota[k]);
    req[k] = formatMilli(v, bin);
    u[k] = formatMilli(used[k] ?? 0n, bin);
    lim[k] = formatMilli(h, bin);
  }
  return Object.keys(req).length ? exceededQuota(gr, name, req, u, lim, TENANT_QUOTA_NAME) : undefined;
}
