// Creates and removes the host namespaces that back a tenant's virtual namespaces. kplex never
// adopts or touches a host namespace it did not create FOR THIS TENANT UID: a name that exists
// without our labels (another tenant's, a deleted tenant's of the same name, the host's) is
// skipped for the next candidate, so two tenants never share a host namespace.
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import type { TenantStore } from '../store/types.js';
import { hostNamespaceCandidates, hostNamespaceLabels, isOurHostNamespace, type TenantIdentity } from '../rewrite/namespace-translator.js';

/** The recorded mapping lives in the tenant store under an internal resource no route reaches. */
const mappingKey = (ns: string) => ({ group: 'kplex.io', resource: 'internal.hostnamespaces', namespace: '', name: ns });

export class HostNamespaces {
  constructor(private readonly host: HostClient) {}

  /** The recorded host namespace of (tenant, ns), if any. */
  recorded(store: TenantStore, ns: string): string | undefined {
    return (store.get(mappingKey(ns))?.object as { hostNamespace?: string } | undefined)?.hostNamespace;
  }

  /** Returns the host namespace backing (tenant, ns), creating and recording it when needed. */
  async ensure(tenant: TenantIdentity, store: TenantStore, ns: string): Promise<string> {
    const known = this.recorded(store, ns);
    if (known) {
      const res = await this.host.request<KubeObject>('GET', `/api/v1/namespaces/${known}`);
      if (res.status === 200 && isOurHostNamespace(res.body, tenant, ns)) return known;
      if (res.status === 404 && (await this.tryCreate(tenant, ns, known))) return known;
      // taken meanwhile by someone else: pick a new name below
    }
    for (const candidate of hostNamespaceCandidates(tenant, ns)) {
      const got = await this.host.request<KubeObject>('GET', `/api/v1/namespaces/${candidate}`);
      if (got.status === 200) {
        if (isOurHostNamespace(got.body, tenant, ns)) return this.record(store, ns, candidate);
        continue; // someone else's: never adopt
      }
      if (got.status !== 404) throw new Error(`host GET namespace: ${got.status}`);
      const made = await this.tryCreate(tenant, ns, candidate);
      if (made) return this.record(store, ns, candidate);
    }
    throw new Error(`no free host namespace for ${tenant.name}/${ns}`);
  }

  /** Creates the host namespace; false when the name turned out to be someone else's. */
  private async tryCreate(tenant: TenantIdentity, ns: string, name: string): Promise<boolean> {
    const res = await this.host.request<KubeObject>('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: hostNamespaceLabels(tenant, ns) },
    });
    if (res.status === 201) return true;
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
    else if ((existing.object as { hostNamespace?: string }).hostNamespace !== hostNamespace) store.update(key, obj);
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
        await this.host.request('DELETE', `/api/v1/namespaces/${name}`, { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid } });
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const again = await this.host.request<KubeObject>('GET', `/api/v1/namespaces/${name}`);
          if (again.status === 404 || again.body.metadata?.uid !== uid) break;
          if (Date.now() > deadline) throw new Error(`host namespace ${name} still terminating after ${timeoutMs / 1000}s`);
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      const key = mappingKey(ns);
      if (store.get(key)) store.delete(key);
    }
  }
}
