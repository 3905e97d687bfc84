// A deleted Tenant takes its store, every host namespace kplex made for it, its host classes and
// its client CA. All of it is found by the deleted Tenant's UID: a new tenant of the same name,
// created meanwhile, keeps everything of its own.
import type { HostClient } from '../hostapi/host-client.js';
import { LABEL_MANAGED_BY, LABEL_TENANT, LABEL_TENANT_UID } from '../rewrite/namespace-translator.js';
import type { RuntimeCache } from './runtime-cache.js';
import { removeTenantClasses } from '../syncer/host-classes.js';

export async function removeTenant(
  host: HostClient,
  runtimes: RuntimeCache,
  tenant: { name: string; uid: string },
  /** Where the tenant's client CAs are kept (auth's stores; tenancy does not depend on auth). */
  clientCAs: { remove(tenantUid: string): Promise<unknown> }[],
): Promise<void> {
  await runtimes.drop(tenant.name, tenant.uid);
  const sel = encodeURIComponent(
    `${LABEL_TENANT_UID}=${tenant.uid},${LABEL_TENANT}=${tenant.name},${LABEL_MANAGED_BY}=kplex`,
  );
  const list = await host.must<{ items: { metadata: { name: string; uid: string } }[] }>(
    'GET',
    `/api/v1/namespaces?labelSelector=${sel}`,
  );
  for (const ns of list.body.items) {
    await host.request('DELETE', `/api/v1/namespaces/${ns.metadata.name}`, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: { uid: ns.metadata.uid },
    });
  }
  // its own PersistentVolumes (host/persistent-volumes.ts), by its UID's label
  await host.request(
    'DELETE',
    `/api/v1/persistentvolumes?labelSelector=${encodeURIComponent(`${LABEL_TENANT_UID}=${tenant.uid},${LABEL_TENANT}=${tenant.name}`)}`,
  );
  // its PriorityClasses and RuntimeClasses on the host (syncer/host-classes.ts)
  await removeTenantClasses(host, tenant.uid);
  // certificates of a deleted tenant must not work on a new tenant of the same name
  for (const store of clientCAs) await store.remove(tenant.uid);
}
