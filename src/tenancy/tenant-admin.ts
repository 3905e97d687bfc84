// Creating, listing and deleting Tenant objects on the host (used by `kplex tenant` and by
// `kplex serve`, which installs the CRD at start).
import type { KubeList, KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import { TENANT_GROUP, TENANT_VERSION, TENANTS_PATH, tenantCRD } from './tenant-crd.js';
import { tenantNameErrors } from './tenant-name.js';

/** Installs or updates the Tenant CRD and waits until it is Established. */
export async function installTenantCRD(host: HostClient): Promise<void> {
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${tenantCRD.metadata.name}`;
  const res = await host.request(
    'PATCH',
    `${path}?fieldManager=kplex&force=true`,
    tenantCRD,
    'application/apply-patch+yaml',
  );
  if (res.status >= 300)
    throw new Error(`installing the Tenant CRD: ${res.status} ${JSON.stringify(res.body)}`);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const crd = await host.must<{ status?: { conditions?: { type: string; status: string }[] } }>(
      'GET',
      path,
    );
    if (crd.body.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error('the Tenant CRD did not become Established');
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function createTenant(host: HostClient, name: string): Promise<KubeObject> {
  const errs = tenantNameErrors(name);
  if (errs.length) throw new Error(`invalid tenant name "${name}": ${errs.join('; ')}`);
  const res = await host.request<KubeObject>('POST', TENANTS_PATH, {
    apiVersion: `${TENANT_GROUP}/${TENANT_VERSION}`,
    kind: 'Tenant',
    metadata: { name },
    spec: {},
  });
  if (res.status === 409) throw new Error(`tenant "${name}" already exists`);
  if (res.status >= 300)
    throw new Error(`creating tenant "${name}": ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function deleteTenant(host: HostClient, name: string): Promise<boolean> {
  const res = await host.request('DELETE', `${TENANTS_PATH}/${encodeURIComponent(name)}`);
  if (res.status === 404) return false;
  if (res.status >= 300)
    throw new Error(`deleting tenant "${name}": ${res.status} ${JSON.stringify(res.body)}`);
  return true;
}

export async function listTenants(host: HostClient): Promise<KubeObject[]> {
  return (await host.must<KubeList>('GET', TENANTS_PATH)).body.items;
}
