// Two tenants on one kplex: same CRD name, different schemas; neither sees the other's CRDs,
// objects or namespaces, and one tenant's credential is refused on the other's endpoint.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiClient } from '../helpers/api-client.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const crd = (field: string, type: string) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', required: [field], properties: { [field]: { type } } } },
          },
        },
      },
    ],
  },
});

describe('tenant isolation (virtual store)', () => {
  const host = inject('host');
  let env: TenantEnv;
  let a: string;
  let b: string;

  beforeAll(async () => {
    env = await startTenantEnv(host);
    a = await env.tenant('iso-a');
    b = await env.tenant('iso-b');
    kubectlOk(a, ['apply', '-f', '-'], JSON.stringify(crd('size', 'integer')));
    kubectlOk(b, ['apply', '-f', '-'], JSON.stringify(crd('colour', 'string')));
    for (const kc of [a, b])
      kubectlOk(kc, ['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=30s']);
  });
  afterAll(async () => env?.close());

  it('gives each tenant its own schema for the same CRD name', () => {
    kubectlOk(a, ['create', 'ns', 'only-in-a']);
    kubectlOk(
      a,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'wa', namespace: 'default' },
        spec: { size: 3 },
      }),
    );
    const wrong = kubectl(
      b,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'wb', namespace: 'default' },
        spec: { size: 3 },
      }),
    );
    expect(wrong.code).not.toBe(0);
    // Tenant B's schema has no spec.size: kubectl's strict field validation names it.
    expect(wrong.stderr).toContain('unknown field "spec.size"');
    kubectlOk(
      b,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'wb', namespace: 'default' },
        spec: { colour: 'red' },
      }),
    );
  });

  it("shows neither tenant the other's objects or namespaces", () => {
    expect(kubectlOk(a, ['get', 'widgets', '-A', '-o', 'name']).trim()).toBe('widget.example.com/wa');
    expect(kubectlOk(b, ['get', 'widgets', '-A', '-o', 'name']).trim()).toBe('widget.example.com/wb');
    expect(kubectl(b, ['get', 'ns', 'only-in-a']).stderr).toContain('namespaces "only-in-a" not found');
    expect(kubectlOk(b, ['get', 'ns', '-o', 'name'])).not.toContain('only-in-a');
    const bSchema = JSON.parse(kubectlOk(b, ['get', 'crd', 'widgets.example.com', '-o', 'json'])) as {
      spec: { versions: { schema: unknown }[] };
    };
    expect(JSON.stringify(bSchema.spec.versions[0]?.schema)).not.toContain('size');
  });

  it("refuses tenant A's token on tenant B's endpoint with 401", () => {
    const aConfig = readFileSync(a, 'utf8');
    const crossed = aConfig.replace('/clusters/iso-a', '/clusters/iso-b');
    const file = `${env.dataDir}/crossed.kubeconfig`;
    writeFileSync(file, crossed);
    const r = kubectl(file, ['get', 'ns']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Unauthorized');
  });

  it("refuses requests without a credential with the apiserver's 401 Status", async () => {
    const noUser = readFileSync(a, 'utf8').replace(/token: .*/, 'token: ""');
    const file = `${env.dataDir}/nouser.kubeconfig`;
    writeFileSync(file, noUser);
    const api = await apiClient(file);
    const res = await api.request('GET', '/api/v1/namespaces');
    await api.close();
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });
});
