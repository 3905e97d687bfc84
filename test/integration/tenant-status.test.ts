// The Tenant's status on the real host, as an operator reads it with the host's kubectl: Ready,
// the endpoint, and usage that moves as the tenant writes objects through kplex.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const T = 'status-tenant';

interface Usage {
  objects?: number;
  storeBytes?: number;
  namespaces?: number;
  hostNamespaces?: number;
  pods?: number;
}

describe('tenant status', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;

  const tenant = () =>
    JSON.parse(kubectlOk(host.kubeconfig, ['get', 'tenant', T, '-o', 'json'])) as {
      metadata: { generation: number };
      status?: {
        endpoint?: string;
        usage?: Usage;
        conditions?: { type: string; status: string; reason: string; observedGeneration: number }[];
      };
    };
  const usage = (): Usage => tenant().status?.usage ?? {};

  beforeAll(async () => {
    env = await startTenantEnv(host, ['--tenant-status-interval', '1']);
    kc = await env.tenant(T);
  });
  afterAll(async () => env?.close());

  it('is Ready with its endpoint, shown by kubectl get tenants', async () => {
    await expect
      .poll(() => tenant().status?.conditions?.find((c) => c.type === 'Ready'), { timeout: 20_000 })
      .toMatchObject({ status: 'True', reason: 'Serving' });
    const t = tenant();
    expect(t.status?.conditions?.[0]?.observedGeneration).toBe(t.metadata.generation);
    expect(t.status?.endpoint).toBe(`${env.kplex.url}/clusters/${T}`);
    const table = kubectlOk(host.kubeconfig, ['get', 'tenants', T]);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+READY\s+OBJECTS\s+BYTES\s+NAMESPACES\s+AGE$/);
    expect(table.split('\n')[1]).toMatch(new RegExp(`^${T}\\s+True\\s`));
    const wide = kubectlOk(host.kubeconfig, ['get', 'tenants', T, '-o', 'wide']);
    expect(wide.split('\n')[0]).toMatch(/PODS\s+ENDPOINT/);
    expect(wide).toContain(`${env.kplex.url}/clusters/${T}`);
  });

  it("follows the tenant's writes: objects, bytes, namespaces, host namespaces and pods", async () => {
    kubectlOk(kc, ['create', 'namespace', 'demo']);
    await expect.poll(() => usage().namespaces ?? 0, { timeout: 20_000 }).toBeGreaterThanOrEqual(5);
    const before = usage();
    expect(before.objects).toBeGreaterThanOrEqual(5);
    expect(before.storeBytes).toBeGreaterThan(0);

    // Virtual objects (RBAC lives in the tenant's store), then host ones (a ConfigMap and a pod).
    kubectlOk(kc, ['-n', 'demo', 'create', 'role', 'reader', '--verb=get', '--resource=pods']);
    kubectlOk(kc, ['-n', 'demo', 'create', 'rolebinding', 'reader', '--role=reader', '--user=bob']);
    kubectlOk(kc, ['-n', 'demo', 'create', 'configmap', 'settings', '--from-literal=a=b']);
    kubectlOk(kc, ['-n', 'demo', 'run', 'web', '--image=nginx', '--restart=Never']);

    await expect
      .poll(() => usage(), { timeout: 30_000 })
      .toMatchObject({
        objects: before.objects! + 2,
        hostNamespaces: 1,
        pods: 1,
      });
    const after = usage();
    expect(after.storeBytes).toBeGreaterThan(before.storeBytes!);
    // The printer columns show the same numbers.
    const row = kubectlOk(host.kubeconfig, ['get', 'tenants', T, '--no-headers']).trim().split(/\s+/);
    expect(row.slice(0, 5)).toEqual([T, 'True', String(after.objects), String(after.storeBytes), '1']);

    // Deleting moves it back down.
    kubectlOk(kc, ['-n', 'demo', 'delete', 'rolebinding', 'reader']);
    await expect.poll(() => usage().objects, { timeout: 20_000 }).toBe(before.objects! + 1);
  });

  it('is written through the status subresource: a status in a spec update is dropped', () => {
    const r = kubectl(host.kubeconfig, [
      'patch',
      'tenant',
      T,
      '--type',
      'merge',
      '-p',
      '{"status":{"endpoint":"https://evil.example/"}}',
    ]);
    expect(r.code).toBe(0);
    expect(tenant().status?.endpoint).toBe(`${env.kplex.url}/clusters/${T}`);
  });
});
