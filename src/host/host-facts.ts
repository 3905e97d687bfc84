// The host reads the workload policy plugins ask for (admission/host-facts.ts), made only when a
// plugin asks: each is one host request on kplex's credentials, filtered to what the tenant may
// know (its own namespaces' objects; of others' only the fact a name is held, never by whom).
import type { HostFacts, TenantService } from '../admission/host-facts.js';
import type { HostClient } from '../hostapi/host-client.js';
import type { NamespaceMap } from '../rewrite/namespace-translator.js';
import { VIEW_RULES } from './host-view.js';
import { ownVolumeExists } from './storage-refs.js';
import { volumeHostName } from '../rewrite/storage-refs.js';
import { nodePortCount } from '../admission/service-policy.js';
import { hostsOf } from '../admission/network-claims.js';

type Obj = Record<string, unknown>;
interface List {
  items?: Obj[];
}

const spec = (o: Obj): Obj => (o['spec'] ?? {}) as Obj;
const meta = (o: Obj): { name?: string; namespace?: string } =>
  (o['metadata'] ?? {}) as { name?: string; namespace?: string };

/**
 * A list from the host's watch cache (resourceVersion=0): a consistent list waits for the cache to
 * catch up with etcd after every write, ~90 ms on the local host, for freshness these checks do
 * not need (a Service admitted but not yet listed is counted by its reservation).
 */
async function list(host: HostClient, path: string): Promise<Obj[]> {
  const r = await host.request<List>('GET', `${path}?resourceVersion=0`);
  if (r.status !== 200) throw new Error(`host GET ${path}: ${r.status}`);
  return r.body?.items ?? [];
}

export function hostFacts(host: HostClient, map: NamespaceMap): HostFacts {
  return {
    async podIPs(ns) {
      const h = map.hostOf(ns);
      const out = new Set<string>();
      if (!h) return out;
      for (const pod of await list(host, `/api/v1/namespaces/${h}/pods`)) {
        if (spec(pod)['hostNetwork'] === true) continue; // its IP is its node's
        const status = (pod['status'] ?? {}) as { podIPs?: { ip?: string }[]; podIP?: string };
        for (const p of status.podIPs ?? []) if (p?.ip) out.add(p.ip);
        if (status.podIP) out.add(status.podIP);
      }
      return out;
    },
    async services() {
      // One list across the host (served from its watch cache), kept to the tenant's namespaces.
      const out: TenantService[] = [];
      for (const svc of await list(host, '/api/v1/services')) {
        const v = map.virtualOf(meta(svc).namespace ?? '');
        if (v === undefined) continue;
        out.push({
          key: `${v}/${meta(svc).name ?? ''}`,
          nodePorts: nodePortCount(spec(svc)),
          loadBalancer: spec(svc)['type'] === 'LoadBalancer',
        });
      }
      return out;
    },
    async foreignIngressHosts() {
      const out: string[] = [];
      for (const ing of await list(host, '/apis/networking.k8s.io/v1/ingresses'))
        if (map.virtualOf(meta(ing).namespace ?? '') === undefined)
          out.push(...hostsOf(ing).map((h) => h.host));
      return out;
    },
    async podCIDRs() {
      const out = new Set<string>();
      const [nodes, pods] = await Promise.all([list(host, '/api/v1/nodes'), list(host, '/api/v1/pods')]);
      for (const node of nodes) {
        const s = spec(node);
        for (const c of Array.isArray(s['podCIDRs']) ? s['podCIDRs'] : [s['podCIDR']])
          if (typeof c === 'string' && c) out.add(c);
      }
      // Many CNIs' IPAM (and kwok) ignore spec.podCIDRs: the pods others run now count one by one.
      for (const pod of pods) {
        const mine = map.virtualOf(meta(pod).namespace ?? '') !== undefined;
        if (mine || spec(pod)['hostNetwork'] === true) continue;
        const status = (pod['status'] ?? {}) as { podIPs?: { ip?: string }[]; podIP?: string };
        for (const ip of [status.podIP, ...(status.podIPs ?? []).map((p) => p?.ip)])
          if (ip) out.add(ip.includes(':') ? `${ip}/128` : `${ip}/32`);
      }
      return [...out];
    },
    async nodeAddresses() {
      const out = new Set<string>();
      for (const node of await list(host, '/api/v1/nodes')) {
        const status = (node['status'] ?? {}) as { addresses?: { type?: string; address?: string }[] };
        for (const a of status.addresses ?? [])
          if ((a.type === 'InternalIP' || a.type === 'ExternalIP') && a.address) out.add(a.address);
      }
      return [...out];
    },
    async volumeVisible(name) {
      // The tenant's own volume of that name (persistent-volumes.ts), else a host PV bound to its claims.
      if (await ownVolumeExists(host, map, volumeHostName(map, name))) return true;
      const r = await host.request<Obj>('GET', `/api/v1/persistentvolumes/${encodeURIComponent(name)}`);
      const visible = VIEW_RULES['/persistentvolumes']?.visible;
      return r.status === 200 && !!r.body && (!visible || visible(r.body, map));
    },
  };
}
