// What a tenant's networking objects may claim of the shared network (Tenant spec.policy):
// Endpoints and EndpointSlices name only the tenant's own pods (not other tenants' pods, the
// host's apiserver, nodes or link-local metadata addresses: the host's proxies would send the
// Service's traffic there), and an Ingress host name belongs to the first to claim it.
import { forbidden } from '../api/status.js';
import type { AdmissionAttributes } from './attributes.js';
import type { AdmissionPlugin } from './chain.js';
import { allowList, inList, reachesInto } from './ip-lists.js';
import type { TenantPolicy } from '../limits/tenant-policy.js';

type Obj = Record<string, unknown>;
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** An address an object names, with the field path the refusal names. */
interface Address {
  field: string;
  ip: string;
}

/** Where each endpoints kind keeps its addresses, by group/resource. */
const ENDPOINT_ADDRESSES: Readonly<Record<string, (o: unknown) => Address[]>> = {
  '/endpoints': (o) =>
    arr((o as { subsets?: unknown } | null)?.subsets).flatMap((s, i) =>
      ['addresses', 'notReadyAddresses'].flatMap((k) =>
        arr(s?.[k]).map((a, j) => ({ field: `subsets[${i}].${k}[${j}].ip`, ip: String(a?.['ip'] ?? '') })),
      ),
    ),
  'discovery.k8s.io/endpointslices': (o) =>
    arr((o as { endpoints?: unknown } | null)?.endpoints).flatMap((e, i) =>
      (Array.isArray(e?.['addresses']) ? (e['addresses'] as unknown[]) : []).map((ip, j) => ({
        field: `endpoints[${i}].addresses[${j}]`,
        ip: String(ip),
      })),
    ),
};

const groupResource = (a: AdmissionAttributes): string => `${a.resource.group}/${a.resource.resource}`;
const writes = (a: AdmissionAttributes): boolean =>
  (a.operation === 'CREATE' || a.operation === 'UPDATE') && !a.subresource;

/**
 * Endpoints and EndpointSlices written by the tenant: every address is the IP of one of the
 * tenant's pods in the same namespace (not host-network) or one the Tenant's `endpointAddresses`
 * lists. Addresses the object already had stay (kplex's own `kubernetes` Endpoints name kplex).
 */
export function endpointAddresses(policyOf: () => TenantPolicy): AdmissionPlugin {
  return {
    name: 'TenantEndpointAddresses',
    handles: (a) => writes(a) && groupResource(a) in ENDPOINT_ADDRESSES,
    async validate(a, env) {
      const addressesOf = ENDPOINT_ADDRESSES[groupResource(a)]!;
      const had = new Set(addressesOf(a.oldObject).map((x) => x.ip));
      const allowed = allowList(policyOf().endpointAddresses);
      const fresh = addressesOf(a.object).filter((x) => !had.has(x.ip) && !inList(allowed, x.ip));
      if (!fresh.length) return [];
      const own = env.host ? await env.host.podIPs(a.namespace) : new Set<string>();
      const bad = fresh.find((x) => !own.has(x.ip));
      if (bad)
        throw forbidden(
          { group: a.resource.group, resource: a.resource.resource },
          a.name,
          `${bad.field}: ${bad.ip} is not the address of a pod of this namespace: tenant endpoints may only name the tenant's own pods`,
        );
      return [];
    },
  };
}

/** Whether a wildcard host (`*.example.com`) covers `host` (one label in place of the `*`). */
function covers(wildcard: string, host: string): boolean {
  if (!wildcard.startsWith('*.')) return false;
  const suffix = wildcard.slice(1);
  return host.endsWith(suffix) && !host.slice(0, -suffix.length).includes('.') && host.length > suffix.length;
}

/** Whether two Ingress host names would serve the same requests. */
export function hostsOverlap(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x === y || covers(x, y) || covers(y, x);
}

/** What an Ingress without a host claims: every request its controller matches to no other host. */
const CATCH_ALL = '';

/** An Ingress's host names with their field paths; a rule without a host or a default backend claims the catch-all. */
export function hostsOf(o: unknown): { field: string; host: string }[] {
  const s = ((o as { spec?: Obj } | null)?.spec ?? {}) as Obj;
  const out: { field: string; host: unknown }[] = arr(s['rules']).map((r, i) => ({
    field: `spec.rules[${i}].host`,
    host: r?.['host'] === undefined || r['host'] === '' ? CATCH_ALL : r['host'],
  }));
  if (s['defaultBackend']) out.push({ field: 'spec.defaultBackend', host: CATCH_ALL });
  arr(s['tls']).forEach((t, i) =>
    (Array.isArray(t?.['hosts']) ? (t['hosts'] as unknown[]) : []).forEach((h, j) =>
      out.push({ field: `spec.tls[${i}].hosts[${j}]`, host: h }),
    ),
  );
  return out.filter((h): h is { field: string; host: string } => typeof h.host === 'string');
}

/**
 * Ingress host names: the first Ingress (of a tenant or of the host) to claim a name holds it;
 * another tenant's claim of it, or of a wildcard over it, is refused without saying whose it is.
 * The catch-all (no host, a default backend) is one more name, whatever the Ingress class.
 */
/**
 * Host names admitted in this process and maybe not yet on the host, by name: two tenants' claims
 * of a new name in the same instant cannot both pass (across replicas they still can).
 */
const PENDING_CLAIMS = new Map<string, { tenant: string; until: number }>();
const CLAIM_MS = 30_000;

export function ingressHostClaims(tenantUid: string): AdmissionPlugin {
  return {
    name: 'TenantIngressHosts',
    handles: (a) => writes(a) && groupResource(a) === 'networking.k8s.io/ingresses',
    async validate(a, env) {
      const had = new Set(hostsOf(a.oldObject).map((h) => h.host));
      const fresh = hostsOf(a.object).filter((h) => !had.has(h.host));
      if (!fresh.length || !env.host) return [];
      const now = Date.now();
      const taken = [...(await env.host.foreignIngressHosts())];
      for (const [host, c] of PENDING_CLAIMS)
        if (c.until < now) PENDING_CLAIMS.delete(host);
        else if (c.tenant !== tenantUid) taken.push(host);
      const bad = fresh.find((h) => taken.some((t) => hostsOverlap(t, h.host)));
      if (bad)
        throw forbidden(
          { group: a.resource.group, resource: a.resource.resource },
          a.name,
          bad.host === CATCH_ALL
            ? `${bad.field}: the requests of no other host (an Ingress without a host) are already claimed by an Ingress outside this tenant (they belong to the first to claim them)`
            : `${bad.field}: host ${JSON.stringify(bad.host)} is already claimed by an Ingress outside this tenant (a host name belongs to the first to claim it)`,
        );
      if (!a.dryRun)
        for (const h of fresh) PENDING_CLAIMS.set(h.host, { tenant: tenantUid, until: now + CLAIM_MS });
      return [];
    },
  };
}

/** A NetworkPolicy's ingress or egress rules. */
const rulesOf = (o: unknown, k: 'ingress' | 'egress'): Obj[] =>
  arr(((o as { spec?: Obj } | null)?.spec ?? {})[k]);

/** Link-local ranges (169.254.169.254: the cloud metadata service): no tenant pod sends there. */
export const LINK_LOCAL = { v4: ['169.254.0.0/16'], v6: ['fe80::/10'] } as const;
/** Ports every tenant pod may reach anywhere: DNS (kplex's isolation policy opens it too). */
const isDnsPort = (p: Obj): boolean => Number(p['port']) === 53 && p['endPort'] === undefined;

/**
 * A tenant's own NetworkPolicies add to kplex's isolation policy (NetworkPolicies are a union), so
 * none may admit what kplex's keeps out: an ingress rule without `from` admits every pod of the
 * host; an `ipBlock` peer over the nodes' pod addresses admits other tenants' pods on a CNI that
 * applies ipBlocks to pod traffic; an egress rule without `to` (but for DNS) or an egress `ipBlock`
 * over a node's address or the link-local range reaches the kubelets and the metadata service.
 * Selector peers are fenced to the tenant by the namespace rewrite.
 */
export function tenantNetworkPolicies(): AdmissionPlugin {
  return {
    name: 'TenantNetworkPolicies',
    handles: (a) => writes(a) && groupResource(a) === 'networking.k8s.io/networkpolicies',
    async validate(a, env) {
      const had = new Set(rulesOf(a.oldObject, 'ingress').map((r) => JSON.stringify(r)));
      const gr = { group: a.resource.group, resource: a.resource.resource };
      let podCIDRs: readonly string[] | undefined;
      const rules = rulesOf(a.object, 'ingress');
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i] ?? {};
        if (had.has(JSON.stringify(rule))) continue;
        const from = arr(rule['from']);
        if (!from.length)
          throw forbidden(
            gr,
            a.name,
            `spec.ingress[${i}].from: a rule without peers admits every pod of the cluster, other tenants' included; name the peers (podSelector, namespaceSelector, ipBlock)`,
          );
        for (let j = 0; j < from.length; j++) {
          const block = from[j]?.['ipBlock'] as { cidr?: unknown; except?: unknown } | undefined;
          if (!block) continue;
          podCIDRs ??= env.host ? await env.host.podCIDRs() : [];
          const except = Array.isArray(block.except) ? block.except.map(String) : [];
          const into = podCIDRs.find((p) => reachesInto(String(block.cidr ?? ''), except, p));
          if (into)
            throw forbidden(
              gr,
              a.name,
              `spec.ingress[${i}].from[${j}].ipBlock: ${String(block.cidr)} covers the cluster's pod addresses (${into}), other tenants' pods included; except them or name the peers by selector`,
            );
        }
      }
      await refuseEgress(a, async () => (env.host ? env.host.nodeAddresses() : []));
      return [];
    },
  };
}

/** Refuses the egress rules (new in this write) that reach the host's nodes or link-local addresses. */
async function refuseEgress(
  a: AdmissionAttributes,
  nodeAddresses: () => Promise<readonly string[]>,
): Promise<void> {
  const had = new Set(rulesOf(a.oldObject, 'egress').map((r) => JSON.stringify(r)));
  const gr = { group: a.resource.group, resource: a.resource.resource };
  let targets: { cidr: string; what: string }[] | undefined;
  const rules = rulesOf(a.object, 'egress');
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] ?? {};
    if (had.has(JSON.stringify(rule))) continue;
    const to = arr(rule['to']);
    const ports = arr(rule['ports']);
    if (!to.length && !(ports.length && ports.every(isDnsPort)))
      throw forbidden(
        gr,
        a.name,
        `spec.egress[${i}].to: a rule without peers reaches every address, the host nodes' and the link-local metadata service's included; name the peers (podSelector, namespaceSelector, or an ipBlock excepting them)`,
      );
    for (let j = 0; j < to.length; j++) {
      const block = to[j]?.['ipBlock'] as { cidr?: unknown; except?: unknown } | undefined;
      if (!block) continue;
      targets ??= [
        ...[...LINK_LOCAL.v4, ...LINK_LOCAL.v6].map((cidr) => ({
          cidr,
          what: 'the link-local range (the metadata service)',
        })),
        ...(await nodeAddresses()).map((ip) => ({
          cidr: ip.includes(':') ? `${ip}/128` : `${ip}/32`,
          what: "a host node's address",
        })),
      ];
      const except = Array.isArray(block.except) ? block.except.map(String) : [];
      const into = targets.find((t) => reachesInto(String(block.cidr ?? ''), except, t.cidr));
      if (into)
        throw forbidden(
          gr,
          a.name,
          `spec.egress[${i}].to[${j}].ipBlock: ${String(block.cidr)} reaches ${into.what} (${into.cidr}); except it`,
        );
    }
  }
}
