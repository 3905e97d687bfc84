// Creates and removes the host namespaces that back a tenant's virtual namespaces. kplex never
// adopts or touches a host namespace it did not create FOR THIS TENANT UID: a name that exists
// without our labels (another tenant's, a deleted tenant's of the same name, the host's) is
// skipped for the next candidate, so two tenants never share a host namespace.
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import type { TenantStore } from '../store/types.js';
import {
  hostNamespaceCandidates,
  hostNamespaceLabels,
  isOurHostNamespace,
  LABEL_TENANT_UID,
  LABEL_NAMESPACE,
  type TenantIdentity,
} from '../rewrite/namespace-translator.js';
import { podSecurityLabels, podSecurityLabelsDiffer } from '../limits/pod-security.js';
import { DEFAULT_POLICY, type PolicyOf } from '../limits/tenant-policy.js';

/** The recorded mapping lives in the tenant store under an internal resource no route reaches. */
const mappingKey = (ns: string) => ({
  group: 'kplex.io',
  resource: 'internal.hostnamespaces',
  namespace: '',
  name: ns,
});

export class HostNamespaces {
  constructor(
    private readonly host: HostClient,
    /** The Tenant's workload policy (its Pod Security floor), by Tenant UID. */
    private readonly policyOf: PolicyOf = () => DEFAULT_POLICY,
    /** Gives kplex its rights in a host namespace of ours before it is used (host-namespace-grant.ts). */
    private readonly access: (name: string) => Promise<void> = async () => {},
  ) {}

  /** The Pod Security labels the host namespace of (tenant, ns) must carry (limits/pod-security.ts). */
  podSecurityLabels(tenant: TenantIdentity, store: TenantStore, ns: string): Record<string, string> {
    const virtual = store.get({ group: '', resource: 'namespaces', namespace: '', name: ns })?.object;
    return podSecurityLabels(this.policyOf(tenant.uid).podSecurity, virtual?.metadata?.labels);
  }

  /** Sets the Pod Security labels on a host namespace of ours that lacks them (or has others). */
  private async labelled(
    tenant: TenantIdentity,
    store: TenantStore,
    ns: string,
    hostNs: KubeObject,
  ): Promise<boolean> {
    const want = this.podSecurityLabels(tenant, store, ns);
    if (!podSecurityLabelsDiffer(hostNs.metadata?.labels, { ...hostNs.metadata?.labels, ...want }))
      return false;
    const name = hostNs.metadata?.name ?? '';
    const res = await this.host.request(
      'PATCH',
      `/api/v1/namespaces/${name}`,
      { metadata: { labels: want } },
      'application/merge-patch+json',
    );
    if (res.status !== 200) throw new Error(`host PATCH namespace ${name}: ${res.status}`);
    return true;
  }

  /** Brings the Pod Security labels of the tenant's recorded host namespace `ns` up to date. */
  async syncPodSecurity(tenant: TenantIdentity, store: TenantStore, ns: string): Promise<void> {
    const name = this.recorded(store, ns);
    if (!name) return;
    const res = await this.host.request<KubeObject>('GET', `/api/v1/namespaces/${name}`);
    if (res.status === 200 && isOurHostNamespace(res.body, tenant, ns))
      await this.labelled(tenant, store, ns, res.body);
  }

  /**
   * Every host namespace of the tenant (found by its UID label, so those made by an earlier kplex
   * too) gets the labels of the current policy: at start and whenever the Tenant's policy changes.
   */
  async reconcilePodSecurity(tenant: TenantIdentity, storeOf: () => TenantStore): Promise<number> {
    const sel = encodeURIComponent(`${LABEL_TENANT_UID}=${tenant.uid}`);
    const res = await this.host.request<{ items?: KubeObject[] }>(
      'GET',
      `/api/v1/namespaces?labelSelector=${sel}`,
    );
    if (res.status !== 200) throw new Error(`host LIST namespaces: ${res.status}`);
    let changed = 0;
    for (const h of res.body.items ?? []) {
      const ns = h.metadata?.labels?.[LABEL_NAMESPACE] ?? '';
      if (!isOurHostNamespace(h, tenant, ns) || h.metadata?.deletionTimestamp) continue;
      // The store is opened only for a tenant that has host namespaces.
      if (await this.labelled(tenant, storeOf(), ns, h)) changed++;
    }
    return changed;
  }

  /** The shared host connection (the host half of the tenant's garbage collector uses it too). */
  hostClient(): HostClient {
    return this.host;
  }

  /** The recorded host namespace of (tenant, ns), if any. */
  recorded(store: TenantStore, ns: string): string | undefined {
    return (store.get(mappingKey(ns))?.object as { hostNamespace?: string } | undefined)?.hostNamespace;
  }

  /** Returns the host namespace backing (tenant, ns), creating and recording it when needed. */
  async ensure(tenant: TenantIdentity, store: TenantStore, ns: string): Promise<string> {
    const known = this.recorded(store, ns);
    if (known) {
      const res = await this.host.request<KubeObject>('GET', `/api/v1/namespaces/${known}`);
      if (res.status === 200 && isOurHostNamespace(res.body, tenant, ns)) {
        await this.labelled(tenant, store, ns, res.body);
        await this.access(known);
        return known;
      }
      if (res.status === 404 && (await this.tryCreate(tenant, store, ns, known))) return known;
      // taken meanwhile by someone else: pick a new name below
    }
    for (const candidate of hostNamespaceCandidates(tenant, ns)) {
      const got = await this.host.request<KubeObject>('GET', `/api/v1/namespaces/${candidate}`);
      if (got.status === 200) {
        if (isOurHostNamespace(got.body, tenant, ns)) {
          await this.labelled(tenant, store, ns, got.body);
          await this.access(candidate);
          return this.record(store, ns, candidate);
        }
        continue; // someone else's: never adopt
      }
      if (got.status !== 404) throw new Error(`host GET namespace: ${got.status}`);
      const made = await this.tryCreate(tenant, store, ns, candidate);
      if (made) return this.record(store, ns, candidate);
    }
    throw new Error(`no free host namespace for ${tenant.name}/${ns}`);
  }

  /** Creates the host namespace; false when the name turned out to be someone else's. */
  private async tryCreate(
    tenant: TenantIdentity,
    store: TenantStore,
    ns: string,
    name: string,
  ): Promise<boolean> {
    // Born with its Pod Security labels: no pod is ever admitted to it without them.
    const labels = { ...this.podSecurityLabels(tenant, store, ns), ...hostNamespaceLabels(tenant, ns) };
    const res = await this.host.request<KubeObject>('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels },
    });
    if (res.status === 201) {
      await this.access(name);
      return true;
    }
    if (res.status === 409) {
      const got = await this.host.request<KubeObject>('GET', `/api/v1/namespaces/${name}`);
      return got.status === 200 && isOurHostNamespace(got.body, tenant, ns);
    }
    throw new Error(`host POST namespace ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  private record(store: TenantStore, ns: string, hostNamespace: string): string {
    const key = mappingKey(ns);
    const existing = store.get(key);
    const obj = { hostNamespace };
    if (!existing) store.create(key, obj);
    else if ((existing.object as { hostNamespace?: string }).hostNamespace !== hostNamespace)
      store.update(key, obj);
    return hostNamespace;
  }

  /**
   * Deletes the host namespace of (tenant, ns) if it is ours and resolves once it is gone
   * (the host's namespace controller removes everything in it first), then forgets the mapping.
   */
  async remove(tenant: TenantIdentity, store: TenantStore, ns: string, timeoutMs = 120_000): Promise<void> {
    const name = this.recorded(store, ns);
    if (name) {
      const got = await this.host.request<KubeObject>('GET', `/api/v1/namespaces/${name}`);
      if (got.status === 200 && isOurHostNamespace(got.body, tenant, ns)) {
        const uid = got.body.metadata?.uid;
        await this.host.request('DELETE', `/api/v1/namespaces/${name}`, {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          preconditions: { uid },
        });
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const again = await this.host.request<KubeObject>('GET', `/api/v1/namespaces/${name}`);
          if (again.status === 404 || again.body.metadata?.uid !== uid) break;
          if (Date.now() > deadline)
            throw new Error(`host namespace ${name} still terminating after ${timeoutMs / 1000}s`);
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      const key = mappingKey(ns);
      if (store.get(key)) store.delete(key);
    }
  }
}
