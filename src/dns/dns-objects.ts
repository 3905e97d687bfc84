// The few fields of host Namespaces, Services and Pods that tenant DNS reads. The host informers
// keep these trimmed copies only (a pod's spec and status are kilobytes; DNS needs a few strings).
import type { KubeObject } from '../api/object.js';
import {
  LABEL_MANAGED_BY,
  LABEL_NAMESPACE,
  LABEL_TENANT,
  LABEL_TENANT_UID,
} from '../rewrite/namespace-translator.js';

export interface DnsNamespace extends KubeObject {
  metadata: { name: string; labels: Record<string, string>; deletionTimestamp?: string };
}

export interface DnsService extends KubeObject {
  metadata: { name: string; namespace: string };
  spec: {
    type?: string;
    clusterIPs: string[];
    headless: boolean;
    selector?: Record<string, string>;
    externalName?: string;
    publishNotReadyAddresses: boolean;
    ports: DnsPort[];
  };
}

/** A Service port; `targetPort` only when it is a number (a named one is the pod's business). */
export interface DnsPort {
  name?: string;
  protocol: string;
  port: number;
  targetPort?: number;
}

export interface DnsPod extends KubeObject {
  metadata: { name: string; namespace: string; labels: Record<string, string>; deletionTimestamp?: string };
  spec: { hostname?: string; subdomain?: string; hostNetwork: boolean };
  status: { ips: string[]; ready: boolean; terminal: boolean };
}

type Raw = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
};

/** Only kplex's mapping labels matter: which tenant (by UID) and which virtual namespace. */
export function trimNamespace(o: KubeObject): DnsNamespace {
  const l = o.metadata?.labels ?? {};
  const labels: Record<string, string> = {};
  for (const k of [LABEL_TENANT, LABEL_TENANT_UID, LABEL_NAMESPACE, LABEL_MANAGED_BY])
    if (l[k]) labels[k] = l[k];
  return {
    metadata: { name: o.metadata?.name ?? '', labels, deletionTimestamp: o.metadata?.deletionTimestamp },
  };
}

export function trimService(o: KubeObject): DnsService {
  const spec = (o as Raw).spec ?? {};
  const ips = Array.isArray(spec['clusterIPs']) ? (spec['clusterIPs'] as unknown[]) : [spec['clusterIP']];
  const clusterIPs = ips.filter((ip): ip is string => typeof ip === 'string' && ip !== '' && ip !== 'None');
  const selector = strMap(spec['selector']);
  return {
    metadata: { name: o.metadata?.name ?? '', namespace: o.metadata?.namespace ?? '' },
    spec: {
      type: str(spec['type']),
      clusterIPs,
      headless: spec['clusterIP'] === 'None',
      selector: Object.keys(selector).length ? selector : undefined,
      externalName: str(spec['externalName']),
      publishNotReadyAddresses: spec['publishNotReadyAddresses'] === true,
      ports: (Array.isArray(spec['ports']) ? (spec['ports'] as Record<string, unknown>[]) : []).flatMap(
        (p) =>
          typeof p?.['port'] === 'number'
            ? [
                {
                  name: str(p['name']),
                  protocol: str(p['protocol']) ?? 'TCP',
                  port: p['port'],
                  targetPort: typeof p['targetPort'] === 'number' ? p['targetPort'] : undefined,
                },
              ]
            : [],
      ),
    },
  };
}

export function trimPod(o: KubeObject): DnsPod {
  const spec = (o as Raw).spec ?? {};
  const status = (o as Raw).status ?? {};
  const listed = Array.isArray(status['podIPs'])
    ? (status['podIPs'] as { ip?: unknown }[]).map((p) => p?.ip)
    : [];
  const ips = (listed.length ? listed : [status['podIP']]).filter(
    (ip): ip is string => typeof ip === 'string' && ip !== '',
  );
  const conditions = Array.isArray(status['conditions'])
    ? (status['conditions'] as { type?: unknown; status?: unknown }[])
    : [];
  const phase = status['phase'];
  return {
    metadata: {
      name: o.metadata?.name ?? '',
      namespace: o.metadata?.namespace ?? '',
      labels: strMap(o.metadata?.labels),
      deletionTimestamp: o.metadata?.deletionTimestamp,
    },
    spec: {
      hostname: str(spec['hostname']),
      subdomain: str(spec['subdomain']),
      hostNetwork: spec['hostNetwork'] === true,
    },
    status: {
      ips,
      ready: conditions.some((c) => c?.type === 'Ready' && c?.status === 'True'),
      // A finished pod's IP goes back to the pool: it names whoever gets it next, not this pod.
      terminal: phase === 'Succeeded' || phase === 'Failed',
    },
  };
}

export const namespacedKey = (o: KubeObject): string =>
  `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
