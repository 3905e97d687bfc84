// Workload policy of a tenant (Tenant `spec.policy`) and its safe defaults: what the tenant's pods
// and Services may do on the host's shared nodes and network. The defaults are the strict end; a
// platform team loosens per tenant. One definition drives the CRD schema (kubectl explain), the
// parsing of a spec and the defaults.
import type { KubeObject } from '../api/object.js';

export const PSA_LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export type PsaLevel = (typeof PSA_LEVELS)[number];

export interface PodSecurityPolicy {
  enforce: PsaLevel;
  warn: PsaLevel;
  audit: PsaLevel;
  /** The Pod Security Standards version the host applies (`latest` or `v1.N`). */
  version: string;
}

export interface TenantPolicy {
  podSecurity: PodSecurityPolicy;
  /** The host's system PriorityClasses the tenant's pods may name. */
  allowedPriorityClasses: readonly string[];
  /** The highest value a tenant PriorityClass gives its pods on the host (higher ones are capped). */
  maxPriority: number;
  /** IPs and CIDRs the tenant's Services may list in spec.externalIPs. */
  externalIPs: readonly string[];
  /** IPs and CIDRs the tenant's Services may ask for as a fixed spec.clusterIP(s). */
  clusterIPs: readonly string[];
  /** IPs and CIDRs the tenant's Endpoints and EndpointSlices may name beside its own pods. */
  endpointAddresses: readonly string[];
  /** Node ports (NodePort and LoadBalancer Services) the whole tenant may hold. */
  nodePorts: number;
  /** LoadBalancer Services the whole tenant may hold. */
  loadBalancers: number;
  /** Whether the tenant may write status.loadBalancer of its Services and Ingresses. */
  loadBalancerStatus: boolean;
  /** Pod volume types beyond the safe set (SAFE_VOLUME_TYPES) the tenant's pods may use. */
  allowedVolumeTypes: readonly string[];
  /** Whether every host namespace of the tenant gets kplex's isolating NetworkPolicy. */
  networkIsolation: boolean;
  /** Host namespaces (by name) whose pods may reach the tenant's pods (an ingress controller's). */
  allowIngressFromHostNamespaces: readonly string[];
  /** ResourceQuota spec.hard kplex keeps in every host namespace of the tenant (none when empty). */
  namespaceQuota: Readonly<Record<string, string>>;
  /** Hard limits of the whole tenant, all its namespaces together (limits/tenant-quota.ts names them). */
  quota: Readonly<Record<string, string>>;
  /** LimitRange spec.limits kplex keeps in every host namespace of the tenant (none when empty). */
  limitRange: readonly Readonly<Record<string, unknown>>[];
  /** Node labels every pod of the tenant must select (its nodes). */
  nodeSelector: Readonly<Record<string, string>>;
  /** Tolerations the tenant's pods may have beyond those of node conditions (node.kubernetes.io/*). */
  allowedTolerations: readonly AllowedToleration[];
  /** The host's RuntimeClasses, StorageClasses and IngressClasses the tenant may name; null: any. */
  allowedRuntimeClasses: readonly string[] | null;
  allowedStorageClasses: readonly string[] | null;
  allowedIngressClasses: readonly string[] | null;
  /** Whether the tenant's admission webhooks may name a `url:` (not only a Service of its own). */
  webhookURLs: boolean;
  /** Which host nodes the tenant sees, and whether its node writes reach the host. */
  nodes: NodesPolicy;
}

/** `pods`: the nodes that run the tenant's pods; `all`: every host node. */
export const NODE_VIEWS = ['pods', 'all'] as const;

export interface NodesPolicy {
  view: (typeof NODE_VIEWS)[number];
  /** A trusted tenant's node writes (create, update, patch, delete, status) go to the host. */
  hostWrites: boolean;
}

/** A toleration a Tenant allows: of this key, and of this value and effect when they are given. */
export interface AllowedToleration {
  key: string;
  value?: string;
  effect?: string;
}

export const DEFAULT_POLICY: Readonly<TenantPolicy> = Object.freeze({
  podSecurity: Object.freeze({
    enforce: 'baseline',
    warn: 'restricted',
    audit: 'restricted',
    version: 'latest',
  }),
  allowedPriorityClasses: Object.freeze([]),
  maxPriority: 0,
  externalIPs: Object.freeze([]),
  clusterIPs: Object.freeze([]),
  endpointAddresses: Object.freeze([]),
  nodePorts: 0,
  loadBalancers: 0,
  loadBalancerStatus: false,
  allowedVolumeTypes: Object.freeze([]),
  networkIsolation: true,
  allowIngressFromHostNamespaces: Object.freeze([]),
  namespaceQuota: Object.freeze({
    pods: '100',
    services: '50',
    persistentvolumeclaims: '20',
    'requests.storage': '50Gi',
  }),
  quota: Object.freeze({
    pods: '500',
    services: '200',
    persistentvolumeclaims: '100',
    'requests.storage': '500Gi',
    namespaces: '100',
  }),
  limitRange: Object.freeze([]),
  nodeSelector: Object.freeze({}),
  allowedTolerations: Object.freeze([]),
  allowedRuntimeClasses: null,
  allowedStorageClasses: null,
  allowedIngressClasses: null,
  webhookURLs: false,
  nodes: Object.freeze({ view: 'pods', hostWrites: false }),
}) as TenantPolicy;

/**
 * Pod volume types that reach nothing beyond the pod's own node-local data and the tenant's own
 * API objects (Pod Security "restricted"'s list). Every other type (nfs, iscsi, gitRepo, rbd,
 * cephfs, flexVolume...) makes the node connect somewhere or run something on the tenant's word.
 * hostPath is Pod Security's to judge (the host namespace labels), not this list's.
 */
export const SAFE_VOLUME_TYPES: readonly string[] = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

/** The highest value of a user PriorityClass (scheduling.HighestUserDefinablePriority). */
export const MAX_USER_PRIORITY = 1000000000;

/** The host's own PriorityClasses (preempt anything): refused unless the Tenant allows them. */
export const SYSTEM_PRIORITY_CLASSES: readonly string[] = ['system-node-critical', 'system-cluster-critical'];

const VERSION_PATTERN = '^(latest|v1\\.(0|[1-9][0-9]*))$';

const level = (what: string, dflt: PsaLevel): Record<string, unknown> => ({
  type: 'string',
  enum: [...PSA_LEVELS],
  description: `${what} Default: ${dflt}.`,
});

/** The `spec.policy` block of the Tenant CRD's schema. */
export function policySchema(): Record<string, unknown> {
  const d = DEFAULT_POLICY.podSecurity;
  return {
    type: 'object',
    description:
      "Workload policy of the tenant's pods and Services on the host. Unset fields take their safe default (named in each description); set them to loosen it for this tenant.",
    properties: {
      podSecurity: {
        type: 'object',
        description:
          "Pod Security Standards floor of every host namespace of the tenant, enforced by the host's PodSecurity admission (for pods made through kplex and by host controllers alike). A tenant's own namespace labels (pod-security.kubernetes.io/*) can only make a level stricter.",
        properties: {
          enforce: level('Level a pod must meet to be admitted.', d.enforce),
          warn: level('Level whose violations are returned to the client as warnings.', d.warn),
          audit: level("Level whose violations are recorded in the host's audit log.", d.audit),
          version: {
            type: 'string',
            pattern: VERSION_PATTERN,
            description: `Pod Security Standards version of all three levels (latest or v1.N). Default: ${d.version}.`,
          },
        },
      },
      allowedPriorityClasses: {
        type: 'array',
        items: { type: 'string' },
        description: `Host system PriorityClasses (${SYSTEM_PRIORITY_CLASSES.join(', ')}) the tenant's pods may use; their pods preempt other tenants' pods. Default: none.`,
      },
      maxPriority: {
        type: 'integer',
        minimum: -2147483648,
        maximum: MAX_USER_PRIORITY,
        description: `The highest priority a tenant PriorityClass gives its pods on the host: each tenant class becomes a host class of a tenant-owned name whose value is the class's, capped at this (the tenant reads its class as written; pods of a capped class run at this value). The tenant's pods preempt only pods below it (its own, and other tenants' only if they run below it). At most ${MAX_USER_PRIORITY}, below the host's system classes. Default: 0 (the priority of pods that name no class).`,
      },
      externalIPs: {
        type: 'array',
        items: { type: 'string' },
        description:
          "IP addresses and CIDRs the tenant's Services may list in spec.externalIPs (traffic to them is captured on every node: CVE-2020-8554). Default: none.",
      },
      clusterIPs: {
        type: 'array',
        items: { type: 'string' },
        description:
          "IP addresses and CIDRs the tenant's Services may ask for as a fixed spec.clusterIP (a range set aside for this tenant; never the host's DNS or API addresses). Default: none (the host allocates every ClusterIP).",
      },
      endpointAddresses: {
        type: 'array',
        items: { type: 'string' },
        description:
          "IP addresses and CIDRs the tenant's Endpoints and EndpointSlices may name beside its own pods' (the host's proxies send the Service's traffic there: never list other tenants' pods, nodes or the host's API). Default: none (only the tenant's own pods of the same namespace).",
      },
      nodePorts: {
        type: 'integer',
        minimum: 0,
        description:
          'Node ports the whole tenant may hold (every port of a NodePort Service, and of a LoadBalancer Service that allocates node ports); node ports are one range shared by every tenant. The host always picks the port: a fixed spec.ports[].nodePort is refused. Default: 0 (NodePort Services refused).',
      },
      loadBalancers: {
        type: 'integer',
        minimum: 0,
        description: 'LoadBalancer Services the whole tenant may hold. Default: 0 (refused).',
      },
      loadBalancerStatus: {
        type: 'boolean',
        description:
          "Whether the tenant may write status.loadBalancer of its Services and Ingresses (only the host's controllers should: node proxies and DNS controllers trust it). Default: false.",
      },
      webhookURLs: {
        type: 'boolean',
        description:
          "Whether the tenant's admission webhooks may name clientConfig.url (kplex calls the URL from inside the platform's network; kplex's own ports, the host's apiserver and link-local addresses stay refused). Without it, webhooks may only name a Service of the tenant. Default: false.",
      },
      nodes: {
        type: 'object',
        description:
          "The tenant's Nodes. Default: it sees the host nodes that run its pods (sanitized: no annotations, images or volumes of other tenants) and cannot write them.",
        properties: {
          view: {
            type: 'string',
            enum: [...NODE_VIEWS],
            description:
              "pods: the nodes that run the tenant's pods (a node appears with its first pod and goes with its last); all: every host node (what the conformance suite's setup expects). Default: pods.",
          },
          hostWrites: {
            type: 'boolean',
            description:
              "Whether the tenant's node writes (create, update, patch, label, taint, delete, status) go to the host, changing the nodes every tenant runs on, and its nodes are shown whole: only for a trusted tenant (e.g. one running the conformance suite, with view: all). Default: false (403 Forbidden).",
          },
        },
      },
      allowedVolumeTypes: {
        type: 'array',
        items: { type: 'string' },
        description: `Pod volume types the tenant's pods may use beyond ${SAFE_VOLUME_TYPES.join(', ')} (e.g. nfs, iscsi, gitRepo: the node connects or runs something on the tenant's word). Default: none.`,
      },
      networkIsolation: {
        type: 'boolean',
        description:
          "Whether every host namespace of the tenant carries kplex's NetworkPolicy kplex-tenant-isolation: its pods accept traffic only from the tenant's own pods (and the namespaces of allowIngressFromHostNamespaces), and reach the tenant's pods, DNS, kplex, and addresses other than the host nodes' and the link-local range (the metadata service). Enforced only by a CNI that implements NetworkPolicy. Default: true.",
      },
      allowIngressFromHostNamespaces: {
        type: 'array',
        items: { type: 'string' },
        description:
          "Host namespaces whose pods may reach the tenant's pods through the isolation policy (e.g. the host's ingress controller). Default: none.",
      },
      namespaceQuota: {
        type: 'object',
        additionalProperties: { 'x-kubernetes-int-or-string': true },
        description: `ResourceQuota spec.hard kplex keeps as ResourceQuota quota.kplex.io in every namespace of the tenant (the tenant sees it and its usage, and cannot change or delete it; its own quotas only add limits). Set to {} for none. Default: ${JSON.stringify(DEFAULT_POLICY.namespaceQuota)}.`,
      },
      quota: {
        type: 'object',
        additionalProperties: { 'x-kubernetes-int-or-string': true },
        description: `Hard limits of the whole tenant: all its namespaces together, for objects made through kplex and pods host controllers make from its workloads (a Deployment's pods past it fail with a FailedCreate event). Names: pods, requests.cpu, requests.memory, limits.cpu, limits.memory, services, persistentvolumeclaims, requests.storage, namespaces (services.nodeports and services.loadbalancers are nodePorts and loadBalancers). Refusals are 403 "exceeded quota: tenant-quota.kplex.io"; every namespace shows the ResourceQuota tenant-quota.kplex.io with the tenant's usage, read-only. Setting requests.* or limits.* of cpu or memory makes every pod declare them, as a ResourceQuota does. Unset names are unlimited; set to {} for none. Default: ${JSON.stringify(DEFAULT_POLICY.quota)}.`,
      },
      limitRange: {
        type: 'array',
        items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        description:
          "LimitRange spec.limits kplex keeps as LimitRange limits.kplex.io in every namespace of the tenant (defaults and bounds of container resources; the tenant cannot change or delete it). Default: none (a default LimitRange would change the defaults a tenant's own LimitRange gives, which the conformance suite checks).",
      },
      nodeSelector: {
        type: 'object',
        additionalProperties: { type: 'string' },
        description:
          'Node labels every pod (and pod template) of the tenant must select in spec.nodeSelector: the nodes set aside for it. Default: none.',
      },
      allowedTolerations: {
        type: 'array',
        items: {
          type: 'object',
          required: ['key'],
          properties: { key: { type: 'string' }, value: { type: 'string' }, effect: { type: 'string' } },
        },
        description:
          "Tolerations the tenant's pods may have beyond those of node conditions (node.kubernetes.io/*): of this key, and of this value and effect when given (e.g. the taint of nodes dedicated to the tenant). A toleration of every taint or of the control plane's is refused unless listed. Default: none.",
      },
      allowedRuntimeClasses: {
        type: 'array',
        items: { type: 'string' },
        description:
          "Runtime handlers (a RuntimeClass's handler: the node's container runtime configuration) the tenant's pods may use through its own RuntimeClasses, which reach the host as classes of tenant-owned names; a pod or pod template naming a RuntimeClass of another handler is refused. Default: unset, the handlers of the host's own RuntimeClasses (those the platform set up for workloads).",
      },
      ...Object.fromEntries(
        (
          [
            [
              'allowedStorageClasses',
              'StorageClasses',
              "PersistentVolumeClaims' spec.storageClassName (also after the host's default class is filled in)",
            ],
            [
              'allowedIngressClasses',
              'IngressClasses',
              "Ingresses' spec.ingressClassName (also the host's default class)",
            ],
          ] as const
        ).map(([field, kind, where]) => [
          field,
          {
            type: 'array',
            items: { type: 'string' },
            description: `The host's ${kind} the tenant may name in ${where}. Default: unset, any of them.`,
          },
        ]),
      ),
    },
  };
}

const isLevel = (v: unknown): v is PsaLevel =>
  typeof v === 'string' && (PSA_LEVELS as readonly string[]).includes(v);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
const count = (v: unknown): number => (Number.isSafeInteger(v) && (v as number) > 0 ? (v as number) : 0);
/** Quantities as strings (a schema's int-or-string may give numbers). */
const stringMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(
    Object.entries(record(v)).flatMap(([k, q]) =>
      typeof q === 'string' || Number.isFinite(q) ? [[k, String(q)]] : [],
    ),
  );
const record = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The effective policy of a Tenant object's spec: every field the spec does not set validly is its default. */
export function policyFromSpec(spec: unknown): TenantPolicy {
  const raw = record(record(spec)['policy']);
  const ps = record(raw['podSecurity']);
  const d = DEFAULT_POLICY.podSecurity;
  const version =
    typeof ps['version'] === 'string' && new RegExp(VERSION_PATTERN).test(ps['version'])
      ? ps['version']
      : d.version;
  return {
    podSecurity: {
      enforce: isLevel(ps['enforce']) ? ps['enforce'] : d.enforce,
      warn: isLevel(ps['warn']) ? ps['warn'] : d.warn,
      audit: isLevel(ps['audit']) ? ps['audit'] : d.audit,
      version,
    },
    allowedPriorityClasses: strings(raw['allowedPriorityClasses']),
    maxPriority:
      Number.isSafeInteger(raw['maxPriority']) && (raw['maxPriority'] as number) >= -2147483648
        ? Math.min(raw['maxPriority'] as number, MAX_USER_PRIORITY)
        : 0,
    externalIPs: strings(raw['externalIPs']),
    clusterIPs: strings(raw['clusterIPs']),
    endpointAddresses: strings(raw['endpointAddresses']),
    nodePorts: count(raw['nodePorts']),
    loadBalancers: count(raw['loadBalancers']),
    loadBalancerStatus: raw['loadBalancerStatus'] === true,
    allowedVolumeTypes: strings(raw['allowedVolumeTypes']),
    networkIsolation: raw['networkIsolation'] !== false,
    webhookURLs: raw['webhookURLs'] === true,
    nodes: {
      view: record(raw['nodes'])['view'] === 'all' ? 'all' : 'pods',
      hostWrites: record(raw['nodes'])['hostWrites'] === true,
    },
    allowIngressFromHostNamespaces: strings(raw['allowIngressFromHostNamespaces']),
    namespaceQuota:
      raw['namespaceQuota'] === undefined ? DEFAULT_POLICY.namespaceQuota : stringMap(raw['namespaceQuota']),
    quota: raw['quota'] === undefined ? DEFAULT_POLICY.quota : stringMap(raw['quota']),
    limitRange: Array.isArray(raw['limitRange'])
      ? (raw['limitRange'] as unknown[]).filter((l): l is Record<string, unknown> => record(l) === l)
      : DEFAULT_POLICY.limitRange,
    nodeSelector: stringMap(raw['nodeSelector']),
    allowedTolerations: Array.isArray(raw['allowedTolerations'])
      ? (raw['allowedTolerations'] as unknown[]).flatMap((t) => {
          const r = record(t);
          if (typeof r['key'] !== 'string') return [];
          const str = (k: string) => (typeof r[k] === 'string' ? { [k]: r[k] as string } : {});
          return [{ key: r['key'], ...str('value'), ...str('effect') }];
        })
      : [],
    allowedRuntimeClasses: Array.isArray(raw['allowedRuntimeClasses'])
      ? strings(raw['allowedRuntimeClasses'])
      : null,
    allowedStorageClasses: Array.isArray(raw['allowedStorageClasses'])
      ? strings(raw['allowedStorageClasses'])
      : null,
    allowedIngressClasses: Array.isArray(raw['allowedIngressClasses'])
      ? strings(raw['allowedIngressClasses'])
      : null,
  };
}

export type PolicyOf = (tenant: string) => TenantPolicy;

/** The effective policy of every tenant, kept current from the Tenant objects the directory watches. */
export class TenantPolicyBook {
  private readonly byTenant = new Map<string, TenantPolicy>();

  /** Feed it the directory's events; returns true when the tenant's policy changed. */
  observe(e: { type: string; object: KubeObject }): boolean {
    const keys = [e.object.metadata?.name, e.object.metadata?.uid].filter((k): k is string => !!k);
    const policy = policyFromSpec((e.object as { spec?: unknown }).spec);
    const before = keys[0] ? this.byTenant.get(keys[0]) : undefined;
    for (const k of keys) {
      if (e.type === 'DELETED') this.byTenant.delete(k);
      else this.byTenant.set(k, policy);
    }
    return e.type !== 'DELETED' && JSON.stringify(before) !== JSON.stringify(policy);
  }

  /** By Tenant name or UID; unknown tenants get the defaults. */
  readonly of: PolicyOf = (tenant) => this.byTenant.get(tenant) ?? DEFAULT_POLICY;
}
