// OpenAPI side by side with the host, through the real kubectl: the v2 document as protobuf
// (`kubectl explain --output=plaintext-openapiv2`, validation of a v1 List), and the v3 documents.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

describe('OpenAPI: tenant and host', () => {
  const host = inject('host');
  let env: TenantEnv;
  let tenant: string;
  const suffix = Math.random().toString(36).slice(2, 8);

  beforeAll(async () => {
    env = await startTenantEnv(host);
    tenant = await env.tenant('openapi-t');
  }, 120_000);
  afterAll(async () => {
    kubectl(host.kubeconfig, [
      'delete',
      'configmap',
      '--ignore-not-found',
      `list-a-${suffix}`,
      `list-b-${suffix}`,
    ]);
    await env?.close();
  });

  it('serves OpenAPI v2 as protobuf: kubectl explain --output=plaintext-openapiv2 prints what the host prints', () => {
    for (const what of [['customresourcedefinitions.spec']]) {
      const explain = (kc: string) => kubectl(kc, ['explain', '--output=plaintext-openapiv2', ...what]);
      const [h, t] = [explain(host.kubeconfig), explain(tenant)];
      expect(h.code).toBe(0);
      expect(t.stderr).toBe('');
      expect(t.stdout).toBe(h.stdout);
    }
  });

  it('validates a v1 List as the host does (kubectl falls back to OpenAPI v2)', () => {
    const list = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: ['a', 'b'].map((n) => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `list-${n}-${suffix}`, namespace: 'default' },
        data: { k: n },
      })),
    });
    for (const kc of [host.kubeconfig, tenant])
      expect(kubectlOk(kc, ['create', '-f', '-'], list)).toBe(
        `configmap/list-a-${suffix} created\nconfigmap/list-b-${suffix} created\n`,
      );
  });
});
