// What kubectl shows differs nowhere between a tenant and the host, side by side in one run:
// finalizer warnings, the CRD cleanup finalizer's life.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const suffix = Math.random().toString(36).slice(2, 8);
const group = `parity-${suffix}.example.com`;

const crd = (plural: string) =>
  JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, singular: plural.slice(0, -1), kind: plural[0]!.toUpperCase() + plural.slice(1, -1) },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object' } } } },
        },
      ],
    },
  });

/** The lines kubectl printed as warnings. */
const warnings = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('Warning: '));

describe('API parity: tenant and host', () => {
  const host = inject('host');
  let env: TenantEnv;
  let tenant: string;
  const sides = () => [host.kubeconfig, tenant];

  const established = async (kc: string, name: string) => {
    for (let i = 0; i < 100; i++) {
      if (kubectl(kc, ['get', name, '-A']).code === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${name} not served`);
  };

  beforeAll(async () => {
    env = await startTenantEnv(host);
    tenant = await env.tenant('parity-t');
  }, 120_000);
  afterAll(async () => {
    for (const p of ['gadgets', 'gizmos'])
      kubectl(host.kubeconfig, ['delete', 'crd', '--ignore-not-found', '--wait=false', `${p}.${group}`]);
    kubectl(host.kubeconfig, ['delete', 'clusterrole', '--ignore-not-found', `parity-${suffix}`]);
    await env?.close();
  });

  it('warns of finalizers that are not domain-qualified, word for word as the host', async () => {
    const byside: string[][][] = [];
    for (const kc of sides()) {
      kubectlOk(kc, ['create', '-f', '-'], crd('gadgets'));
      await established(kc, `gadgets.${group}`);
      const obj = {
        apiVersion: `${group}/v1`,
        kind: 'Gadget',
        metadata: {
          name: 'g',
          namespace: 'default',
          finalizers: ['zeta', 'foo.bar', 'example.com/ok', 'orphan', 'kubernetes'],
        },
      };
      const created = kubectl(kc, ['create', '-f', '-'], JSON.stringify(obj));
      expect(created.code).toBe(0);
      // an update warns of the finalizers it adds only
      const patched = kubectl(kc, [
        'patch',
        `gadgets.${group}`,
        'g',
        '-n',
        'default',
        '--type=merge',
        '-p',
        JSON.stringify({ metadata: { finalizers: ['zeta', 'foo.bar', 'alpha'] } }),
      ]);
      expect(patched.code).toBe(0);
      kubectlOk(kc, [
        'patch',
        `gadgets.${group}`,
        'g',
        '-n',
        'default',
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      ]);
      // built-in kinds (a virtual one here) are judged by their own strategies
      const role = kubectl(
        kc,
        ['create', '-f', '-'],
        JSON.stringify({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: `parity-${suffix}`, finalizers: ['zeta'] },
        }),
      );
      kubectl(kc, [
        'patch',
        'clusterrole',
        `parity-${suffix}`,
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      ]);
      byside.push([warnings(created.stderr), warnings(patched.stderr), warnings(role.stderr)]);
    }
    expect(byside[1]).toEqual(byside[0]);
    expect(byside[1]![0]).toEqual([
      'Warning: metadata.finalizers: "foo.bar": prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers',
      'Warning: metadata.finalizers: "zeta": prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers',
    ]);
    expect(byside[1]![1]).toEqual([
      'Warning: metadata.finalizers: "alpha": prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers',
    ]);
  });

  it('adds the CRD cleanup finalizer on delete, not on create, as the host', async () => {
    const name = `gizmos.${group}`;
    const seen: unknown[] = [];
    for (const kc of sides()) {
      kubectlOk(kc, ['create', '-f', '-'], crd('gizmos'));
      await established(kc, name);
      const created = JSON.parse(kubectlOk(kc, ['get', 'crd', name, '-o', 'json'])) as {
        metadata: { finalizers?: string[] };
      };
      const deleted = kubectlOk(kc, ['delete', 'crd', name]);
      seen.push([created.metadata.finalizers, deleted, kubectl(kc, ['get', 'crd', name]).code]);
    }
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[1]).toEqual([
      undefined,
      `customresourcedefinition.apiextensions.k8s.io "${name}" deleted\n`,
      1,
    ]);
  });

  it('serves componentstatuses read-only, as the host reports them', () => {
    const get = (kc: string, args: string[]) => kubectl(kc, args);
    for (const args of [
      ['get', 'cs'],
      ['get', 'componentstatuses', 'etcd-0', '-o', 'jsonpath={.conditions}'],
    ]) {
      const [h, t] = [get(host.kubeconfig, args), get(tenant, args)];
      expect(h.code).toBe(0);
      // The apiserver probes the components concurrently: their order differs between two reads.
      const rows = (out: string) => out.split('\n').sort();
      expect([t.code, rows(t.stdout), t.stderr]).toEqual([h.code, rows(h.stdout), h.stderr]);
    }
    const line = (kc: string) =>
      kubectlOk(kc, ['api-resources', '--no-headers'])
        .split('\n')
        .find((l) => l.startsWith('componentstatuses'));
    expect(line(tenant)).toBe(line(host.kubeconfig));
    const write = kubectl(tenant, ['delete', 'componentstatuses', 'etcd-0']);
    expect(write.code).not.toBe(0);
  });

  it('answers kubectl auth whoami with a creation time, as the host', () => {
    const meta = (kc: string) =>
      (JSON.parse(kubectlOk(kc, ['auth', 'whoami', '-o', 'json'])) as { metadata: Record<string, unknown> })
        .metadata;
    const [h, t] = [meta(host.kubeconfig), meta(tenant)];
    expect(Object.keys(t)).toEqual(Object.keys(h));
    expect(t['creationTimestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(h['creationTimestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('refuses ill-typed server-side applies of a virtual kind with the texts of the host', () => {
    const role = (extra: Record<string, unknown>) =>
      JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: `parity-ssa-${suffix}` },
        ...extra,
      });
    for (const extra of [
      { rules: 'x' },
      { aggregationRule: 7 },
      { rules: [{ apiGroups: [''], resources: [1], verbs: ['get'] }] },
      { rules: [{ apiGroups: [''], resources: [{ a: 'b', c: [1, true] }], verbs: ['get'] }] },
    ]) {
      const apply = (kc: string) =>
        kubectl(kc, ['apply', '--server-side', '--field-manager=parity', '-f', '-'], role(extra));
      const [h, t] = [apply(host.kubeconfig), apply(tenant)];
      expect(h.code).not.toBe(0);
      expect(t.stderr).toBe(h.stderr);
    }
  });
});
