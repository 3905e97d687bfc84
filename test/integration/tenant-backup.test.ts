// `kplex tenant backup` while kplex serves, the Tenant deleted (kplex removes its store and host
// namespaces) and created again, `kplex tenant restore` with kplex stopped: the tenant's virtual
// objects come back with their UIDs and resourceVersions; host namespaces are made again on use.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { kplexCli, startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.backup.example.com' },
  spec: {
    group: 'backup.example.com',
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};
const objects = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
  ...['g1', 'g2'].map((name) => ({
    apiVersion: 'backup.example.com/v1',
    kind: 'Gadget',
    metadata: { name, namespace: 'shop' },
    spec: { size: name },
  })),
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'shop-viewers' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'Group', name: 'shoppers', apiGroup: 'rbac.authorization.k8s.io' }],
  },
];
const REFS = [
  'crd/gadgets.backup.example.com',
  'namespace/shop',
  'gadgets.backup.example.com/g1',
  'gadgets.backup.example.com/g2',
  'clusterrolebinding/shop-viewers',
];

interface Meta {
  metadata: { name: string; uid: string; resourceVersion: string };
}
const identities = (kc: string): string[] =>
  (JSON.parse(kubectlOk(kc, ['get', '-n', 'shop', ...REFS, '-o', 'json'])) as { items: Meta[] }).items.map(
    (o) => `${o.metadata.name} ${o.metadata.uid} ${o.metadata.resourceVersion}`,
  );

describe('tenant backup and restore', () => {
  const host = inject('host');
  let env: TenantEnv;
  let tmp: string;
  const hostArgs = () => ['--data-dir', env.dataDir, '--host-kubeconfig', host.kubeconfig];

  beforeAll(async () => {
    env = await startTenantEnv(host);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'kplex-backup-it-'));
  });
  afterAll(async () => {
    await env?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('brings back CRDs, custom resources, namespaces and RBAC with their UIDs and resourceVersions', async () => {
    let kc = await env.tenant('keep');
    kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(crd));
    kubectlOk(kc, ['wait', '--for=condition=Established', `crd/${crd.metadata.name}`, '--timeout=30s']);
    for (const o of objects) kubectlOk(kc, ['create', '-f', '-'], JSON.stringify(o));
    // A host-backed object: it lives on the host, not in the store.
    kubectlOk(kc, ['create', 'configmap', 'on-host', '-n', 'shop', '--from-literal=a=b']);
    const before = identities(kc);
    expect(before).toHaveLength(REFS.length);

    // Online: kplex serves the tenant meanwhile.
    const file = path.join(tmp, 'keep.backup');
    expect(kplexCli(['tenant', 'backup', 'keep', '-o', file, ...hostArgs()])).toMatch(/backed up/);

    // The tenant goes (kplex removes its store and host namespaces) and a new one of the name comes.
    kplexCli(['tenant', 'delete', 'keep', '--host-kubeconfig', host.kubeconfig]);
    await expect
      .poll(
        () =>
          kubectl(host.kubeconfig, [
            'get',
            'namespaces',
            '-l',
            'kplex.io/namespace=shop,kplex.io/tenant=keep',
            '-o',
            'name',
          ]).stdout,
        {
          timeout: 60_000,
        },
      )
      .toBe('');
    kc = await env.tenant('keep');
    expect(kubectl(kc, ['get', 'namespace', 'shop']).code).not.toBe(0);

    // Refused while kplex serves from the data dir.
    expect(() => kplexCli(['tenant', 'restore', 'keep', '-f', file, ...hostArgs()])).toThrow(/serves from/);
    await env.kplex.stop();
    expect(kplexCli(['tenant', 'restore', 'keep', '-f', file, ...hostArgs()])).toMatch(/restored/);
    await env.restart();
    kc = await env.tenant('keep');

    expect(identities(kc)).toEqual(before);
    // The host-backed configmap went with the tenant's host namespace; the namespace works again.
    expect(kubectl(kc, ['get', 'configmap', 'on-host', '-n', 'shop']).stderr).toMatch(/NotFound|not found/);
    kubectlOk(kc, ['create', 'configmap', 'after', '-n', 'shop', '--from-literal=a=b']);
    const rv = (
      JSON.parse(
        kubectlOk(
          kc,
          ['create', '-f', '-', '-o', 'json'],
          JSON.stringify({ ...objects[1], metadata: { name: 'g3', namespace: 'shop' } }),
        ),
      ) as Meta
    ).metadata.resourceVersion;
    expect(Math.max(...before.map((l) => Number(l.split(' ')[2])))).toBeLessThan(Number(rv));
    expect(existsSync(file)).toBe(true);
  }, 180_000);

  it('answers --help for backup and restore', () => {
    expect(kplexCli(['tenant', 'backup', '--help'])).toMatch(/--output/);
    expect(kplexCli(['tenant', 'restore', '--help'])).toMatch(/host namespaces/);
  });
});
