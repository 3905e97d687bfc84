// Services on the host's shared network (Tenant spec.policy): fixed ClusterIPs, node ports and
// load balancers are host-wide resources every tenant shares, status.loadBalancer is trusted by the
// host's node proxies and DNS controllers, and an ExternalName is followed by the host's proxies.
// Fixed addresses and ports are judged as the tenant sent them, before the host answers (its
// "already allocated" would tell who holds what); counts are judged on the host's dry run.
import { isIP } from 'node:net';
import { forbidden } from '../api/status.js';
import { exceededQuota } from '../limits/quota.js';
import { TENANT_QUOTA_NAME } from '../limits/tenant-quota.js';
import type { TenantPolicy } from '../limits/tenant-policy.js';
import type { AdmissionAttributes } from './attributes.js';
import type { AdmissionPlugin } from './chain.js';
import { allowList, inList } from './ip-lists.js';
import { CLUSTER_DOMAIN, serviceDnsName } from '../api/service-dns-names.js';

type Obj = Record<string, unknown>;

const SERVICES = { group: '', resource: 'services' };
const spec = (o: unknown): Obj => ((o as { spec?: Obj } | null)?.spec ?? {}) as Obj;
const ports = (s: Obj): Obj[] => (Array.isArray(s['ports']) ? (s['ports'] as Obj[]) : []);
const writes = (a: AdmissionAttributes): boolean => a.operation === 'CREATE' || a.operation === 'UPDATE';
const isService = (a: AdmissionAttributes): boolean =>
  writes(a) && !a.subresource && a.resource.group === '' && a.resource.resource === 'services';

/** The addresses a Service spec names in clusterIP and clusterIPs ('' and None are no address). */
function clusterIPs(s: Obj): string[] {
  const all = [s['clusterIP'], ...(Array.isArray(s['clusterIPs']) ? s['clusterIPs'] : [])];
  return all.filter((ip): ip is string => typeof ip === 'string' && ip !== '' && ip !== 'None');
}

/** Node ports a Service holds, as the ResourceQuota evaluator counts `services.nodeports`. */
export function nodePortCount(s: Obj): number {
  if (s['type'] === 'NodePort') return ports(s).length;
  if (s['type'] === 'LoadBalancer' && s['allocateLoadBalancerNodePorts'] !== false) return ports(s).length;
  return 0;
}

/** Service types that take a host-wide resource, the policy field that caps it, and why. */
const CAPPED_TYPES: Readonly<Record<string, { cap: 'nodePorts' | 'loadBalancers'; why: string }>> = {
  NodePort: { cap: 'nodePorts', why: 'node ports are shared by every tenant of the host' },
  LoadBalancer: { cap: 'loadBalancers', why: "load balancers are the host's to give" },
};

/** How long an admitted Service counts against the caps before the host's list shows it. */
const RESERVATION_MS = 30_000;

/**
 * Fixed ClusterIPs (only within the Tenant's `clusterIPs`), fixed node ports (never: the host
 * picks them), and the tenant-wide caps on node ports and load balancers. What a Service already
 * had may stay, so every update of an existing Service passes these checks.
 */
export function serviceAddresses(policyOf: () => TenantPolicy): AdmissionPlugin {
  // Services admitted but maybe not yet on the host: concurrent creates must not pass a cap together.
  const reserved = new Map<string, { nodePorts: number; loadBalancer: boolean; until: number }>();
  return {
    name: 'TenantServiceAddresses',
    handles: isService,
    validateSubmitted(a) {
      const s = spec(a.object);
      const old = spec(a.oldObject);
      const policy = policyOf();
      const had = new Set(clusterIPs(old));
      const allowed = allowList(policy.clusterIPs);
      // What is no IP address is the host validation's to refuse (422), as on any apiserver.
      for (const ip of clusterIPs(s))
        if (isIP(ip) && !had.has(ip) && !inList(allowed, ip))
          throw forbidden(
            SERVICES,
            a.name,
            `spec.clusterIP: a fixed cluster IP (${ip}) is not in the tenant's allowed cluster IPs; leave it empty and the host allocates one`,
          );
      const type = typeof s['type'] === 'string' ? s['type'] : undefined;
      const capped = type ? CAPPED_TYPES[type] : undefined;
      if (type && capped && old['type'] !== type && policy[capped.cap] === 0)
        throw forbidden(
          SERVICES,
          a.name,
          `spec.type: ${type} services are not permitted for this tenant (${capped.why})`,
        );
      const heldPorts = new Set(ports(old).map((p) => p['nodePort']));
      ports(s).forEach((p, i) => {
        const n = p?.['nodePort'];
        if (typeof n === 'number' && n !== 0 && !heldPorts.has(n))
          throw forbidden(
            SERVICES,
            a.name,
            `spec.ports[${i}].nodePort: a fixed node port is not permitted for tenant services; leave it empty and the host picks one`,
          );
      });
      const hc = s['healthCheckNodePort'];
      if (typeof hc === 'number' && hc !== 0 && hc !== old['healthCheckNodePort'])
        throw forbidden(
          SERVICES,
          a.name,
          'spec.healthCheckNodePort: a fixed node port is not permitted for tenant services; leave it empty and the host picks one',
        );
    },
    async validate(a, env) {
      const s = spec(a.object);
      const old = spec(a.oldObject);
      const ask = { nodePorts: nodePortCount(s), loadBalancer: s['type'] === 'LoadBalancer' };
      const more = ask.nodePorts > nodePortCount(old) || (ask.loadBalancer && old['type'] !== 'LoadBalancer');
      if (!more || !env.host) return [];
      const policy = policyOf();
      const key = `${a.namespace}/${a.name}`;
      const now = Date.now();
      const counted = new Map<string, { nodePorts: number; loadBalancer: boolean }>();
      const onHost = new Set<string>();
      for (const svc of await env.host.services()) {
        onHost.add(svc.key);
        if (svc.key !== key) counted.set(svc.key, svc);
      }
      // A reservation ends when the host shows the Service (it counts from there) or when it expires.
      for (const [k, r] of reserved)
        if (r.until < now || onHost.has(k)) reserved.delete(k);
        else if (k !== key) counted.set(k, r);
      let usedPorts = 0;
      let usedLBs = 0;
      for (const c of counted.values()) {
        usedPorts += c.nodePorts;
        usedLBs += c.loadBalancer ? 1 : 0;
      }
      const gr = SERVICES;
      if (ask.nodePorts && usedPorts + ask.nodePorts > policy.nodePorts)
        throw exceededQuota(
          gr,
          a.name,
          { 'services.nodeports': ask.nodePorts },
          { 'services.nodeports': usedPorts },
          { 'services.nodeports': policy.nodePorts },
          TENANT_QUOTA_NAME,
        );
      if (ask.loadBalancer && usedLBs + 1 > policy.loadBalancers)
        throw exceededQuota(
          gr,
          a.name,
          { 'services.loadbalancers': 1 },
          { 'services.loadbalancers': usedLBs },
          { 'services.loadbalancers': policy.loadBalancers },
          TENANT_QUOTA_NAME,
        );
      if (!a.dryRun) reserved.set(key, { ...ask, until: now + RESERVATION_MS });
      return [];
    },
  };
}

/** Status fields only the host's controllers may write, by group/resource (the status subresource). */
const CONTROLLER_STATUS: Readonly<Record<string, { kind: string; field: string }>> = {
  '/services': { kind: 'services', field: 'loadBalancer' },
  'networking.k8s.io/ingresses': { kind: 'ingresses', field: 'loadBalancer' },
};

/**
 * status.loadBalancer of Services and Ingresses: node proxies send traffic for a Service's
 * load-balancer IPs to it, and DNS controllers publish them, so a tenant writing it captures
 * others' traffic. Refused unless the Tenant's `loadBalancerStatus` allows it.
 */
export function loadBalancerStatus(policyOf: () => TenantPolicy): AdmissionPlugin {
  const rule = (a: AdmissionAttributes) => CONTROLLER_STATUS[`${a.resource.group}/${a.resource.resource}`];
  return {
    name: 'TenantLoadBalancerStatus',
    handles: (a) => a.operation === 'UPDATE' && a.subresource === 'status' && !!rule(a),
    async validate(a) {
      const r = rule(a)!;
      const status = (o: unknown) => JSON.stringify((o as { status?: Obj } | null)?.status?.[r.field] ?? {});
      if (policyOf().loadBalancerStatus || status(a.object) === status(a.oldObject)) return [];
      throw forbidden(
        { group: a.resource.group, resource: a.resource.resource },
        a.name,
        `status.${r.field}: only the host's controllers set the load balancer status of ${r.kind}`,
      );
    },
  };
}

/** Last labels of names a search path completes into the cluster's domain (`x.ns.svc`, `ip.ns.pod`). */
const SEARCHED_SUFFIXES = ['svc', 'pod'];

/**
 * Services of a tenant namespace that are kplex's, not the tenant's: `kubernetes.default` is the
 * API (host/kubernetes-service.ts), and the host's proxies following a tenant's name to it would
 * carry the tenant's ingress traffic to kplex.
 */
const KPLEX_SERVICES = new Set(['default/kubernetes']);

/**
 * Why an ExternalName would lead the host's proxies (ingress controllers, gateways) to a service
 * of the host or of another tenant: names of the cluster's domain, and short names a resolver
 * completes with its search path (`kubernetes`, `kubernetes.default` from any host pod). A Service
 * of one of the tenant's own namespaces (`hostNamespaceOf` knows it) passes: its namespace label
 * reaches the host as the tenant's host namespace (api/service-dns-names.ts). Undefined when
 * the name is safe.
 */
export function clusterExternalName(
  name: string,
  hostNamespaceOf?: (ns: string) => string | undefined,
): string | undefined {
  const absolute = name.endsWith('.');
  const n = name.toLowerCase().replace(/\.$/, '');
  const labels = n.split('.');
  if (n === CLUSTER_DOMAIN || n.endsWith(`.${CLUSTER_DOMAIN}`)) {
    const own = serviceDnsName(name);
    if (
      own &&
      hostNamespaceOf?.(own.namespace) !== undefined &&
      !KPLEX_SERVICES.has(`${own.namespace}/${own.service.toLowerCase()}`)
    )
      return undefined;
    return "a name of the cluster's domain resolves to the host's services";
  }
  // A pod's search path is <ns>.svc.<domain>, svc.<domain>, <domain>: `x`, `x.ns` and `x.ns.svc` land in it.
  if (!absolute && (labels.length <= 2 || SEARCHED_SUFFIXES.includes(labels[labels.length - 1]!)))
    return "a relative name completed by a resolver's search path resolves to the host's services (<service>.<namespace>[.svc]); write it fully qualified, ending in a dot";
  return undefined;
}

export function serviceExternalName(): AdmissionPlugin {
  return {
    name: 'TenantServiceExternalName',
    handles: isService,
    async validate(a, env) {
      const s = spec(a.object);
      const name = s['externalName'];
      if (s['type'] !== 'ExternalName' || typeof name !== 'string') return [];
      // What an ExternalName already had may stay; a name carried on another type was never judged.
      const old = spec(a.oldObject);
      if (old['type'] === 'ExternalName' && name === old['externalName']) return [];
      const why = clusterExternalName(name, env.hostNamespaceOf);
      if (why)
        throw forbidden(
          SERVICES,
          a.name,
          `spec.externalName: ${JSON.stringify(name)} is not permitted for tenant services: ${why}`,
        );
      return [];
    },
  };
}
