// Ownership across the boundary, host side: a host-backed owner (a ConfigMap of the tenant) deleted
// on the HOST itself, where kplex hears nothing (as a host controller, the host garbage collector
// or a Job's TTL would delete it), takes its virtual dependents (Roles) with it while the tenant is
// in use, as the apiserver's collector would: a dependent with no other live owner is deleted, one
// with another live owner only loses the reference; a dependent of a live owner stays.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { apiClient } from '../helpers/api-client.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';
import { hostNamespace } from '../helpers/webhook-config.js';

const TENANT = 'hostowners';
type Obj = Record<string, any>;

describe('host-backed owners deleted on the host', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;
  let api: HostClient;

  const configMap = async (name: string): Promise<Obj> => {
    const r = await api.request<Obj>('POST', '/api/v1/namespaces/work/configmaps', { metadata: { name } });
    expect(r.status).toBe(201);
    return r.body!;
  };
  const ref = (cm: Obj) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    name: cm['metadata']['name'],
    uid: cm['metadata']['uid'],
  });
  const role = async (name: string, owners: Obj[]) => {
    const r = await api.request('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/work/roles', {
      metadata: { name, ownerReferences: owners.map(ref) },
      rules: [],
    });
    expect(r.status).toBe(201);
  };
  const getRole = (name: string) =>
    api.request<Obj>('GET', `/apis/rbac.authorization.k8s.io/v1/namespaces/work/roles/${name}`);

  beforeAll(async () => {
    env = await startTenantEnv(host);
    kc = await env.tenant(TENANT);
    kubectlOk(kc, ['create', 'ns', 'work']);
    api = await apiClient(kc);
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  it('collects the virtual dependents of a ConfigMap deleted on the host, as the apiserver GC would', async () => {
    const gone = await configMap('gone');
    const keeper = await configMap('keeper');
    await role('only-gone', [gone]);
    await role('gone-and-keeper', [gone, keeper]);
    await role('only-keeper', [keeper]);
    // Deleted on the host, not through kplex.
    const hostNs = hostNamespace(host.kubeconfig, TENANT, 'work');
    kubectlOk(host.kubeconfig, ['delete', 'configmap', 'gone', '-n', hostNs]);
    // The tenant in use (each request may start a sweep, at most one every 10 s).
    let status = 200;
    for (let i = 0; i < 300 && status === 200; i++) {
      await new Promise((res) => setTimeout(res, 200));
      status = (await getRole('only-gone')).status;
    }
    expect(status).toBe(404);
    const both = await getRole('gone-and-keeper');
    expect(both.status).toBe(200);
    expect(both.body!['metadata']['ownerReferences']).toEqual([ref(keeper)]);
    const kept = await getRole('only-keeper');
    expect(kept.body!['metadata']['ownerReferences']).toEqual([ref(keeper)]);
  }, 120_000);

  it('a deletecollection through kplex collects the dependents of every ConfigMap it deleted', async () => {
    const one = await configMap('batch-1');
    const two = await configMap('batch-2');
    for (const cm of [one, two])
      await api.request(
        'PATCH',
        `/api/v1/namespaces/work/configmaps/${cm['metadata']['name']}`,
        { metadata: { labels: { batch: 'yes' } } },
        'application/merge-patch+json',
      );
    await role('of-batch-1', [one]);
    await role('of-batch-2', [two]);
    const d = await api.request('DELETE', '/api/v1/namespaces/work/configmaps?labelSelector=batch%3Dyes');
    expect(d.status).toBe(200);
    expect((await getRole('of-batch-1')).status).toBe(404);
    expect((await getRole('of-batch-2')).status).toBe(404);
  });

  it('a ConfigMap of the same name made again on the host is not the owner', async () => {
    const first = await configMap('renewed');
    await role('of-renewed', [first]);
    const hostNs = hostNamespace(host.kubeconfig, TENANT, 'work');
    kubectlOk(host.kubeconfig, ['delete', 'configmap', 'renewed', '-n', hostNs]);
    kubectlOk(host.kubeconfig, ['create', 'configmap', 'renewed', '-n', hostNs]);
    let status = 200;
    for (let i = 0; i < 300 && status === 200; i++) {
      await new Promise((res) => setTimeout(res, 200));
      status = (await getRole('of-renewed')).status;
    }
    expect(status).toBe(404);
  }, 120_000);
});
