// What tenant DNS knows of the host, indexed for the two questions every query asks: which tenant
// sends it (pod IP -> host namespace -> tenant UID and virtual namespace) and what a tenant's
// `svc.ns` is (tenant UID + virtual namespace -> host namespace -> Service, its pods).
// Fed by informer events; no I/O, so queries are map lookups.
import type { InformerEvent } from '../hostapi/host-informer.js';
import { LABEL_MANAGED_BY, LABEL_NAMESPACE, LABEL_TENANT_UID } from '../rewrite/namespace-translator.js';
import { namespacedKey, type DnsNamespace, type DnsPod, type DnsService } from './dns-objects.js';

/** The tenant pod a query comes from. */
export interface DnsClient {
  tenantUid: string;
  hostNamespace: string;
  namespace: string;
}

export class DnsIndex {
  private readonly namespaces = new Map<string, DnsClient>();
  /** `<tenant uid>/<virtual ns>` -> host namespace. */
  private readonly byVirtual = new Map<string, string>();
  private readonly services = new Map<string, DnsService>();
  private readonly pods = new Map<string, DnsPod>();
  private readonly podsByIp = new Map<string, Set<string>>();
  private readonly podsByNs = new Map<string, Set<string>>();

  onNamespace(e: InformerEvent): void {
    const ns = e.object as DnsNamespace;
    const name = ns.metadata.name;
    const old = this.namespaces.get(name);
    if (old) {
      this.namespaces.delete(name);
      const k = `${old.tenantUid}/${old.namespace}`;
      if (this.byVirtual.get(k) === name) this.byVirtual.delete(k);
    }
    if (e.type === 'DELETED') return;
    const l = ns.metadata.labels;
    const tenantUid = l[LABEL_TENANT_UID];
    const namespace = l[LABEL_NAMESPACE];
    // Only namespaces kplex made for a tenant: every other host namespace is invisible here.
    if (l[LABEL_MANAGED_BY] !== 'kplex' || !tenantUid || !namespace) return;
    this.namespaces.set(name, { tenantUid, hostNamespace: name, namespace });
    // A virtual namespace made again while its old host namespace still terminates has two:
    // the live one names it, whatever order their events come in.
    const k = `${tenantUid}/${namespace}`;
    if (!ns.metadata.deletionTimestamp || !this.byVirtual.has(k)) this.byVirtual.set(k, name);
  }

  onService(e: InformerEvent): void {
    const key = namespacedKey(e.object);
    if (e.type === 'DELETED') this.services.delete(key);
    else this.services.set(key, e.object as DnsService);
  }

  onPod(e: InformerEvent): void {
    const key = namespacedKey(e.object);
    const old = this.pods.get(key);
    if (old) {
      for (const ip of old.status.ips) removeFrom(this.podsByIp, ip, key);
      removeFrom(this.podsByNs, old.metadata.namespace, key);
      this.pods.delete(key);
    }
    if (e.type === 'DELETED') return;
    const pod = e.object as DnsPod;
    this.pods.set(key, pod);
    addTo(this.podsByNs, pod.metadata.namespace, key);
    // A host-network pod sends from its node's address, which it shares with every other such pod.
    if (!pod.spec.hostNetwork && !pod.status.terminal)
      for (const ip of pod.status.ips) addTo(this.podsByIp, ip, key);
  }

  /**
   * The tenant pod whose IP `ip` is. Undefined for anything else, and when two live pods claim the
   * address in different namespaces (an IP being reused): no guess about who asks.
   */
  client(ip: string): DnsClient | undefined {
    const keys = this.podsByIp.get(ip);
    if (!keys) return undefined;
    let hostNs: string | undefined;
    for (const k of keys) {
      const ns = this.pods.get(k)?.metadata.namespace;
      if (hostNs !== undefined && ns !== hostNs) return undefined;
      hostNs = ns;
    }
    return hostNs === undefined ? undefined : this.namespaces.get(hostNs);
  }

  /** The host namespace of the tenant's virtual namespace `ns`, if it has one. */
  hostNamespace(tenantUid: string, ns: string): string | undefined {
    return this.byVirtual.get(`${tenantUid}/${ns}`);
  }

  /** The tenant and virtual namespace a host namespace of kplex's backs, if it is one. */
  owner(hostNs: string): DnsClient | undefined {
    return this.namespaces.get(hostNs);
  }

  service(hostNs: string, name: string): DnsService | undefined {
    return this.services.get(`${hostNs}/${name}`);
  }

  /**
   * The pods a headless Service's records name, as the EndpointSlice controller picks them:
   * selected by the Service, with an IP, not finished, not terminating; ready unless the Service
   * publishes not-ready addresses. (The cluster DNS reads EndpointSlices; the local host's pods
   * have loopback IPs, which EndpointSlice validation refuses, so the pods are the source here.)
   */
  endpoints(svc: DnsService): DnsPod[] {
    const selector = svc.spec.selector;
    if (!selector) return [];
    const out: DnsPod[] = [];
    for (const key of this.podsByNs.get(svc.metadata.namespace) ?? []) {
      const pod = this.pods.get(key);
      if (!pod || !pod.status.ips.length || pod.status.terminal || pod.metadata.deletionTimestamp) continue;
      if (!pod.status.ready && !svc.spec.publishNotReadyAddresses) continue;
      if (Object.entries(selector).every(([k, v]) => pod.metadata.labels[k] === v)) out.push(pod);
    }
    return out;
  }

  /** Sizes, for the log line and measurements. */
  stats(): { namespaces: number; services: number; pods: number } {
    return { namespaces: this.namespaces.size, services: this.services.size, pods: this.pods.size };
  }
}

function addTo(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k);
  if (s) s.add(v);
  else m.set(k, new Set([v]));
}

function removeFrom(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (!s.size) m.delete(k);
}
