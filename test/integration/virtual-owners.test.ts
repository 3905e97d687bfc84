// Ownership across the boundary: a tenant custom resource (virtual) owning host-backed objects.
// The host also has the same CRD (the worst case: the host GC could resolve the kind there), yet
// the host garbage collector leaves the dependents alone; the tenant sees its ownerReferences as
// written; deleting the owner deletes (Background) or releases (Orphan) its host dependents.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const TENANT = 'owners';

/** k8s.io/sample-controller at the host's version, built once from its pinned module into the cache. */
const SAMPLE_CONTROLLER_SRC = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../deploy/local-host/sample-controller',
);
const CACHE =
  process.env['KPLEX_CACHE'] ??
  path.join(process.env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache'), 'kplex');
const SAMPLE_CONTROLLER = path.join(CACHE, 'sample-controller-v0.32.5', 'sample-controller');

function buildSampleController(): void {
  if (existsSync(SAMPLE_CONTROLLER)) return;
  const r = spawnSync('go', ['build', '-trimpath', '-o', SAMPLE_CONTROLLER, 'k8s.io/sample-controller'], {
    cwd: SAMPLE_CONTROLLER_SRC,
    env: { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`building sample-controller failed: ${r.stderr}`);
}
const GROUP = 'samplecontroller.k8s.io';

const fooCRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: {
    name: `foos.${GROUP}`,
    // As sample-controller's own CRD (a *.k8s.io group needs it).
    annotations: { 'api-approved.kubernetes.io': 'unapproved, experimental-only' },
  },
  spec: {
    group: GROUP,
    names: { kind: 'Foo', plural: 'foos', singular: 'foo', listKind: 'FooList' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        // sample-controller's artifacts/examples/crd-status-subresource.yaml, unknown fields kept.
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            'x-kubernetes-preserve-unknown-fields': true,
            properties: {
              spec: {
                type: 'object',
                properties: {
                  deploymentName: { type: 'string' },
                  replicas: { type: 'integer', minimum: 1, maximum: 10 },
                },
              },
              status: { type: 'object', properties: { availableReplicas: { type: 'integer' } } },
            },
          },
        },
      },
    ],
  },
};

interface Ref {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

const fooRef = (name: string, uid: string, controller = true): Ref => ({
  apiVersion: `${GROUP}/v1alpha1`,
  kind: 'Foo',
  name,
  uid,
  controller,
  blockOwnerDeletion: true,
});

const deployment = (name: string, refs: Ref[]) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default', ownerReferences: refs },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
  },
});

const secret = (name: string, refs: Ref[]) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'default', ownerReferences: refs },
  stringData: { k: 'v' },
});

async function until(what: string, ms: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ownership across the boundary', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;
  let hostNs: string;

  const createFoo = (name: string): string => {
    kubectlOk(
      kc,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: `${GROUP}/v1alpha1`,
        kind: 'Foo',
        metadata: { name, namespace: 'default' },
        spec: {},
      }),
    );
    return kubectlOk(kc, ['get', 'foo', name, '-o', 'jsonpath={.metadata.uid}']);
  };
  const tenantJSON = (what: string) =>
    JSON.parse(kubectlOk(kc, ['-n', 'default', 'get', what, '-o', 'json'])) as {
      metadata: {
        ownerReferences?: Ref[];
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
        resourceVersion: string;
      };
    };
  const hostJSON = (what: string) =>
    JSON.parse(kubectlOk(host.kubeconfig, ['-n', hostNs, 'get', what, '-o', 'json'])) as {
      metadata: {
        ownerReferences?: Ref[];
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
      };
    };
  const onHost = (what: string): boolean =>
    kubectl(host.kubeconfig, ['-n', hostNs, 'get', what, '-o', 'name']).code === 0;

  beforeAll(async () => {
    env = await startTenantEnv(host);
    kc = await env.tenant(TENANT);
    kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(fooCRD));
    kubectlOk(kc, ['wait', '--for=condition=Established', `crd/foos.${GROUP}`, '--timeout=30s']);
    // The same CRD on the host: the host GC can then resolve `Foo` there (and not find the uid).
    kubectlOk(host.kubeconfig, ['apply', '-f', '-'], JSON.stringify(fooCRD));
    kubectlOk(host.kubeconfig, ['wait', '--for=condition=Established', `crd/foos.${GROUP}`, '--timeout=30s']);
    kubectlOk(kc, ['-n', 'default', 'create', 'configmap', 'first']);
    hostNs = kubectlOk(host.kubeconfig, [
      'get',
      'ns',
      '-l',
      `kplex.io/tenant=${TENANT},kplex.io/namespace=default`,
      '-o',
      'jsonpath={.items[0].metadata.name}',
    ]).trim();
    expect(hostNs).toBe(`${TENANT}-default`);
  });
  afterAll(async () => {
    kubectl(host.kubeconfig, ['delete', 'crd', `foos.${GROUP}`, '--wait=false']);
    await env?.close();
  });

  it('keeps virtual owners from the host GC, shows them to the tenant as written, and deletes the dependents with the owner', async () => {
    const uid = createFoo('foo1');
    const refs = [fooRef('foo1', uid)];
    const dep = JSON.stringify(deployment('dep1', refs));
    kubectlOk(kc, ['apply', '-f', '-'], dep);
    kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(secret('sec1', refs)));
    // The host GC acts within a second on an owner it cannot find: give it five.
    await sleep(5000);
    expect(onHost('deployment/dep1')).toBe(true);
    expect(onHost('secret/sec1')).toBe(true);
    const h = hostJSON('deployment/dep1');
    expect(h.metadata.ownerReferences).toBeUndefined();
    expect(h.metadata.labels?.['kplex.io/virtual-owned']).toBe('true');

    for (const what of ['deployment/dep1', 'secret/sec1']) {
      const t = tenantJSON(what);
      expect(t.metadata.ownerReferences).toEqual(refs);
      expect(
        Object.keys({ ...t.metadata.labels, ...t.metadata.annotations }).filter((k) =>
          k.includes('kplex.io'),
        ),
      ).toEqual([]);
    }
    const list = JSON.parse(kubectlOk(kc, ['-n', 'default', 'get', 'deployments', '-o', 'json'])) as {
      items: { metadata: { name: string; ownerReferences?: Ref[] } }[];
    };
    expect(list.items.find((i) => i.metadata.name === 'dep1')?.metadata.ownerReferences).toEqual(refs);

    // Applying the same manifest again changes nothing; patches keep the references.
    expect(kubectlOk(kc, ['apply', '-f', '-'], dep)).toContain('deployment.apps/dep1 unchanged');
    kubectlOk(kc, [
      '-n',
      'default',
      'patch',
      'deployment',
      'dep1',
      '-p',
      '{"metadata":{"labels":{"patched":"yes"}}}',
    ]);
    kubectlOk(kc, [
      '-n',
      'default',
      'patch',
      'deployment',
      'dep1',
      '--type=json',
      '-p',
      '[{"op":"add","path":"/metadata/annotations/a","value":"b"}]',
    ]);
    expect(tenantJSON('deployment/dep1').metadata.ownerReferences).toEqual(refs);
    expect(hostJSON('deployment/dep1').metadata.ownerReferences).toBeUndefined();
    expect(
      kubectlOk(kc, [
        '-n',
        'default',
        'get',
        'deployment',
        'dep1',
        '-o',
        'jsonpath={.metadata.labels.patched}',
      ]),
    ).toBe('yes');

    // Server-side apply twice: the second is a no-op.
    const ssa = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm-ssa', namespace: 'default', ownerReferences: refs },
      data: { a: 'b' },
    });
    kubectlOk(kc, ['apply', '--server-side', '-f', '-'], ssa);
    const rv = tenantJSON('configmap/cm-ssa').metadata.resourceVersion;
    kubectlOk(kc, ['apply', '--server-side', '-f', '-'], ssa);
    expect(tenantJSON('configmap/cm-ssa').metadata.resourceVersion).toBe(rv);
    expect(tenantJSON('configmap/cm-ssa').metadata.ownerReferences).toEqual(refs);

    // A host-backed owner stays on the host object (the host GC does that work).
    const depUid = kubectlOk(kc, [
      '-n',
      'default',
      'get',
      'deployment',
      'dep1',
      '-o',
      'jsonpath={.metadata.uid}',
    ]);
    const hostOwned = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'dep1', uid: depUid }];
    kubectlOk(
      kc,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cm-host-owned', namespace: 'default', ownerReferences: hostOwned },
      }),
    );
    expect(hostJSON('configmap/cm-host-owned').metadata.ownerReferences).toEqual(hostOwned);

    // Background (kubectl's default): the dependents go after the owner.
    kubectlOk(kc, ['-n', 'default', 'delete', 'foo', 'foo1']);
    await until(
      "the Foo's host dependents to be deleted",
      30_000,
      () => !onHost('secret/sec1') && !onHost('configmap/cm-ssa') && !onHost('deployment/dep1'),
    );
    expect(kubectl(kc, ['-n', 'default', 'get', 'deployment', 'dep1']).stderr).toContain('not found');
  }, 90_000);

  it('orphans the dependents with propagationPolicy=Orphan', async () => {
    const uid = createFoo('foo2');
    const refs = [fooRef('foo2', uid)];
    kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(deployment('dep2', refs)));
    kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(secret('sec2', refs)));
    kubectlOk(kc, ['-n', 'default', 'delete', 'foo', 'foo2', '--cascade=orphan']);
    await until(
      'the references to be dropped',
      30_000,
      () =>
        tenantJSON('secret/sec2').metadata.ownerReferences === undefined &&
        tenantJSON('deployment/dep2').metadata.ownerReferences === undefined,
    );
    expect(hostJSON('secret/sec2').metadata.labels?.['kplex.io/virtual-owned']).toBeUndefined();
    expect(onHost('deployment/dep2')).toBe(true);
  }, 60_000);

  it('keeps a dependent another owner still holds, dropping only the deleted owner', async () => {
    const a = createFoo('foo-a');
    const b = createFoo('foo-b');
    kubectlOk(
      kc,
      ['apply', '-f', '-'],
      JSON.stringify(secret('shared', [fooRef('foo-a', a), fooRef('foo-b', b, false)])),
    );
    kubectlOk(kc, ['-n', 'default', 'delete', 'foo', 'foo-a']);
    await until(
      "foo-a's reference to be dropped",
      30_000,
      () => tenantJSON('secret/shared').metadata.ownerReferences?.length === 1,
    );
    expect(tenantJSON('secret/shared').metadata.ownerReferences).toEqual([fooRef('foo-b', b, false)]);
    kubectlOk(kc, ['-n', 'default', 'delete', 'foo', 'foo-b']);
    await until('the shared Secret to go with its last owner', 30_000, () => !onHost('secret/shared'));
  }, 60_000);

  it('deletes the owner in the foreground only after its blocking host dependents are gone', async () => {
    const uid = createFoo('foo-fg');
    const refs = [fooRef('foo-fg', uid)];
    kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(deployment('dep-fg', refs)));
    kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(secret('sec-fg', refs)));
    // kubectl waits until the Foo is gone; by then its blocking dependents must be gone already.
    kubectlOk(kc, ['-n', 'default', 'delete', 'foo', 'foo-fg', '--cascade=foreground', '--timeout=60s']);
    expect(kubectl(kc, ['-n', 'default', 'get', 'foo', 'foo-fg']).stderr).toContain('not found');
    expect(onHost('deployment/dep-fg')).toBe(false);
    expect(onHost('secret/sec-fg')).toBe(false);
  }, 90_000);

  it('host-backed owners of virtual dependents: deleting them through kplex deletes, orphans or releases the dependents', () => {
    const cm = (name: string): Ref => {
      kubectlOk(kc, ['-n', 'default', 'create', 'configmap', name]);
      const uid = kubectlOk(kc, [
        '-n',
        'default',
        'get',
        'configmap',
        name,
        '-o',
        'jsonpath={.metadata.uid}',
      ]);
      return { apiVersion: 'v1', kind: 'ConfigMap', name, uid, controller: false, blockOwnerDeletion: false };
    };
    const virtualFoo = (name: string, refs: Ref[]) =>
      kubectlOk(
        kc,
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: `${GROUP}/v1alpha1`,
          kind: 'Foo',
          metadata: { name, namespace: 'default', ownerReferences: refs },
          spec: { deploymentName: `${name}-d`, replicas: 1 },
        }),
      );
    const foo = (name: string) => kubectl(kc, ['-n', 'default', 'get', 'foo', name, '-o', 'json']);
    const [bg, orphan, keep, other] = [cm('own-bg'), cm('own-orphan'), cm('own-keep'), cm('own-other')];
    virtualFoo('by-bg', [bg]);
    virtualFoo('by-orphan', [orphan]);
    virtualFoo('by-two', [keep, other]);
    // A dry run deletes nothing on the host, and nothing virtual either.
    kubectlOk(kc, ['-n', 'default', 'delete', 'configmap', 'own-bg', '--dry-run=server']);
    expect(foo('by-bg').code).toBe(0);
    kubectlOk(kc, ['-n', 'default', 'delete', 'configmap', 'own-bg']);
    expect(foo('by-bg').stderr).toContain('not found');
    kubectlOk(kc, ['-n', 'default', 'delete', 'configmap', 'own-orphan', '--cascade=orphan']);
    const orphaned = JSON.parse(foo('by-orphan').stdout) as { metadata: { ownerReferences?: Ref[] } };
    expect(orphaned.metadata.ownerReferences).toBeUndefined();
    kubectlOk(kc, ['-n', 'default', 'delete', 'configmap', 'own-keep']);
    const kept = JSON.parse(foo('by-two').stdout) as { metadata: { ownerReferences?: Ref[] } };
    expect(kept.metadata.ownerReferences).toEqual([other]);
    // A request body's DeleteOptions say Orphan too (client-go sends them so).
    const last = cm('own-body');
    virtualFoo('by-body', [last]);
    kubectlOk(
      kc,
      ['delete', '--raw', '/api/v1/namespaces/default/configmaps/own-body', '-f', '-'],
      JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan' }),
    );
    expect(JSON.parse(foo('by-body').stdout).metadata.ownerReferences).toBeUndefined();
    kubectlOk(kc, ['-n', 'default', 'delete', 'foo', 'by-orphan', 'by-two', 'by-body']);
  });

  it('runs k8s.io/sample-controller against the tenant: its Deployment stays, Foo status fills in, deleting the Foo deletes it', async () => {
    buildSampleController();
    let logs = '';
    const ctl = spawn(SAMPLE_CONTROLLER, ['-kubeconfig', kc], { stdio: ['ignore', 'pipe', 'pipe'] });
    ctl.stdout.on('data', (d: Buffer) => (logs += d.toString()));
    ctl.stderr.on('data', (d: Buffer) => (logs += d.toString()));
    try {
      kubectlOk(
        kc,
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: `${GROUP}/v1alpha1`,
          kind: 'Foo',
          metadata: { name: 'example-foo', namespace: 'default' },
          spec: { deploymentName: 'example-foo', replicas: 1 },
        }),
      );
      const uid = kubectlOk(kc, [
        '-n',
        'default',
        'get',
        'foo',
        'example-foo',
        '-o',
        'jsonpath={.metadata.uid}',
      ]);
      await until(`the controller's Deployment (logs: ${logs.slice(-2000)})`, 60_000, () =>
        onHost('deployment/example-foo'),
      );
      await until(
        'Foo status.availableReplicas = 1',
        120_000,
        () =>
          kubectlOk(kc, [
            '-n',
            'default',
            'get',
            'foo',
            'example-foo',
            '-o',
            'jsonpath={.status.availableReplicas}',
          ]) === '1',
      );
      await sleep(5000);
      expect(onHost('deployment/example-foo')).toBe(true);
      expect(tenantJSON('deployment/example-foo').metadata.ownerReferences).toEqual([
        { ...fooRef('example-foo', uid) },
      ]);
      kubectlOk(kc, ['-n', 'default', 'delete', 'foo', 'example-foo']);
      await until('the Deployment to go with its Foo', 60_000, () => !onHost('deployment/example-foo'));
    } finally {
      ctl.kill('SIGTERM');
    }
  }, 300_000);
});
