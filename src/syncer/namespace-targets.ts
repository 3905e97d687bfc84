// Which tenant and virtual namespace a host namespace backs, from the labels kplex RECORDED on it
// (never parsed from its name), and only while that tenant (by UID) is alive. Cached per host
// namespace: the webhook sees every pod create of every tenant.
import { isObject } from '../api/object.js';
import { LRUCache } from 'lru-cache';
import type { HostClient } from '../hostapi/host-client.js';

const LABEL_TENANT = 'kplex.io/tenant';
const LABEL_TENANT_UID = 'kplex.io/tenant-uid';
const LABEL_NAMESPACE = 'kplex.io/namespace';

export interface NamespaceTarget {
  tenant: string;
  namespace: string;
}

export class NamespaceTargets {
  private readonly cache = new LRUCache<string, NamespaceTarget | 'none'>({ max: 10_000, ttl: 30_000 });

  constructor(
    private readonly host: Pick<HostClient, 'request'>,
    /** The UID of the live tenant of this name (undefined: none). */
    private readonly tenantUid: (tenant: string) => string | undefined,
  ) {}

  async of(hostNamespace: string): Promise<NamespaceTarget | undefined> {
    let hit = this.cache.get(hostNamespace);
    if (!hit) {
      hit = await this.read(hostNamespace);
      this.cache.set(hostNamespace, hit);
    }
    return hit === 'none' ? undefined : hit;
  }

  private async read(hostNamespace: string): Promise<NamespaceTarget | 'none'> {
    const res = await this.host.request<{ metadata?: { labels?: Record<string, string> } }>(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(hostNamespace)}`,
    );
    if (res.status === 404) return 'none';
    if (res.status !== 200) throw new Error(`reading host namespace ${hostNamespace}: ${res.status}`);
    const labels = isObject(res.body.metadata?.labels) ? res.body.metadata.labels : {};
    const tenant = labels[LABEL_TENANT];
    const namespace = labels[LABEL_NAMESPACE];
    const uid = labels[LABEL_TENANT_UID];
    if (!tenant || !namespace || !uid || this.tenantUid(tenant) !== uid) return 'none';
    return { tenant, namespace };
  }
}
