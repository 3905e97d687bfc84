// OpenAPI side by side with the host, through the real kubectl: the v2 document as protobuf
// (`kubectl explain --output=plaintext-openapiv2`, validation of a v1 List), and the v3 documents.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

/** A large raw GET (the api/v1 document is beyond spawnSync's default buffer). */
const raw = (kc: string, path: string): string =>
  execFileSync('kubectl', ['--kubeconfig', kc, 'get', '--raw', path], {
    encoding: 'utf8',
    maxBuffer: 1 << 27,
  });

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
    for (const what of [
      ['pods.spec.containers'],
      ['deployments', '--recursive'],
      ['customresourcedefinitions.spec'],
    ]) {
      const explain = (kc: string) => kubectl(kc, ['explain', '--output=plaintext-openapiv2', ...what]);
      const [h, t] = [explain(host.kubeconfig), explain(tenant)];
      expect(h.code).toBe(0);
      expect(t.stderr).toBe('');
      expect(t.stdout).toBe(h.stdout);
    }
  });

  it('lists in the OpenAPI v3 index the paths the host lists, but what kplex does not serve', () => {
    const index = (kc: string) =>
      Object.keys((JSON.parse(kubectlOk(kc, ['get', '--raw', '/openapi/v3'])) as { paths: object }).paths);
    const [h, t] = [index(host.kubeconfig), index(tenant)];
    // The host's CRDs (kplex's own, and those other tests of the suite install on the shared host)
    // are the host's, not a tenant's; nor is the host's service-account issuer discovery.
    const hostCRDGroups = new Set(
      kubectlOk(host.kubeconfig, ['get', 'crd', '-o', 'jsonpath={.items[*].spec.group}']).split(' '),
    );
    const notServed = (p: string) =>
      p === '.well-known/openid-configuration' ||
      p === 'openid/v1/jwks' ||
      (p.startsWith('apis/') && hostCRDGroups.has(p.split('/')[1]!));
    expect(t).toEqual(h.filter((p) => !notServed(p)));
    for (const path of ['api', 'apis', 'apis/apps', 'version'])
      expect(raw(tenant, `/openapi/v3/${path}`)).toBe(raw(host.kubeconfig, `/openapi/v3/${path}`));
  });

  it('describes enums in the built-in OpenAPI v3 schemas as the host does', () => {
    const enums = (kc: string, gv: string) => {
      const doc = JSON.parse(raw(kc, `/openapi/v3/${gv}`)) as {
        components: { schemas: Record<string, unknown> };
      };
      const found: string[] = [];
      const walk = (v: unknown, at: string): void => {
        if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`));
        else if (v && typeof v === 'object')
          for (const [k, x] of Object.entries(v)) {
            if (k === 'enum') found.push(`${at}=${JSON.stringify(x)}`);
            walk(x, `${at}.${k}`);
          }
      };
      walk(doc.components.schemas, '');
      return found.sort();
    };
    const core = enums(tenant, 'api/v1');
    expect(core.length).toBe(52);
    expect(core).toEqual(enums(host.kubeconfig, 'api/v1'));
    expect(enums(tenant, 'apis/apps/v1')).toEqual(enums(host.kubeconfig, 'apis/apps/v1'));
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
