// kplex run with the chart's host credentials only: a token of the chart's ServiceAccount, bound
// by the chart's RBAC and admission policies (applied from the chart render to the real host).
// Passthrough, identity and tenants work; the same token cannot reach past kplex's own namespaces.
// Every destructive attempt is a server-side dry run: admission and authorization run in full,
// and nothing on the shared host changes if a guard failed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { webhookClientCA } from '../../deploy/local-host/host.js';
import { kubectl, kubectlOk, type KubectlResult } from '../helpers/kubectl.js';
import { startKplex, type KplexProcess } from '../helpers/kplex-process.js';
import { kplexCli } from '../helpers/tenant-env.js';
import { chartKubeconfig, chartServeArgs, KPLEX_USER } from '../helpers/chart-credentials.js';

const refused = (r: KubectlResult, why: RegExp): void => {
  expect(r.code, r.stdout).not.toBe(0);
  expect(r.stderr).toMatch(why);
};
const FORBIDDEN = /forbidden|Forbidden/;

describe('least privilege: kplex on the chart ServiceAccount', () => {
  const host = inject('host');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kplex-lp-'));
  const dataDir = path.join(dir, 'data');
  let saKc: string;
  let kplex: KplexProcess;
  let kplexArgs: string[] = [];
  let kc: string;
  const adm = (args: string[], input?: string) => kubectlOk(host.kubeconfig, args, input);
  /** kubectl as kplex itself (its host token). */
  const asKplex = (args: string[], input?: string) => kubectl(saKc, args, input);

  beforeAll(async () => {
    saKc = chartKubeconfig(host);
    expect(asKplex(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']).stdout).toBe(KPLEX_USER);
    kplexArgs = [
      '--data-dir',
      dataDir,
      ...chartServeArgs(host),
      '--webhook-client-ca',
      webhookClientCA(host),
    ];
    kplex = await startKplex(kplexArgs);
    kplexCli(['tenant', 'create', 'lp-one', '--host-kubeconfig', saKc]);
    kc = path.join(dir, 'lp-one.kubeconfig');
    writeFileSync(
      kc,
      kplexCli([
        'kubeconfig',
        'lp-one',
        '--data-dir',
        dataDir,
        '--host-kubeconfig',
        saKc,
        '--server',
        kplex.url,
        '--user',
        'admin',
        '--group',
        'system:masters',
      ]),
      { mode: 0o600 },
    );
    for (let i = 0; i < 150 && kubectl(kc, ['get', '--raw', '/version']).code !== 0; i++)
      await new Promise((r) => setTimeout(r, 100));
  }, 120_000);
  afterAll(async () => {
    await kplex?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('works', () => {
    it('lists and watches namespaces without a host namespace: empty, nothing of the host named', () => {
      kubectlOk(kc, ['create', 'namespace', 'lp-unwritten']);
      for (const ns of ['lp-unwritten', 'lp-missing']) {
        const list = kubectl(kc, ['get', '--raw', `/api/v1/namespaces/${ns}/pods`]);
        expect(list.code, list.stderr).toBe(0);
        const body = JSON.parse(list.stdout) as {
          kind: string;
          items: unknown[];
          metadata: { resourceVersion: string };
        };
        expect(body).toMatchObject({ kind: 'PodList', items: [] });
        expect(Number(body.metadata.resourceVersion)).toBeGreaterThan(0);
        const w = kubectl(kc, [
          'get',
          '--raw',
          `/api/v1/namespaces/${ns}/persistentvolumeclaims?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1`,
        ]);
        expect(w.code, w.stderr).toBe(0);
        const events = w.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { type: string });
        // Nothing but bookmarks (no PVC exists): the end of the initial events, and (when kplex's eager
        // creation of the host namespace won the race and the host answered) the host's bookmark before its timeout.
        expect(events.map((e) => e.type)).toEqual(events.map(() => 'BOOKMARK'));
        expect(events).toContainEqual(
          expect.objectContaining({
            object: expect.objectContaining({
              metadata: expect.objectContaining({
                annotations: expect.objectContaining({ 'k8s.io/initial-events-end': 'true' }),
              }),
            }),
          }),
        );
        for (const out of [list, w])
          expect(out.stdout + out.stderr).not.toMatch(/system:serviceaccount|kplex-/);
      }
      expect(kubectlOk(kc, ['get', 'secrets', '-n', 'lp-unwritten'])).toBe('');
    });

    it('passthrough: namespaced host kinds, Secrets, pods and host views in a new namespace', () => {
      kubectlOk(kc, ['create', 'namespace', 'app']);
      kubectlOk(kc, ['-n', 'app', 'create', 'configmap', 'c', '--from-literal=a=b']);
      kubectlOk(kc, ['-n', 'app', 'create', 'secret', 'generic', 's', '--from-literal=p=q']);
      expect(kubectlOk(kc, ['-n', 'app', 'get', 'secret', 's', '-o', 'jsonpath={.data.p}'])).toBe('cQ==');
      kubectlOk(kc, ['-n', 'app', 'create', 'deployment', 'web', '--image=nginx', '--replicas=1']);
      kubectlOk(kc, ['-n', 'app', 'run', 'p1', '--image=nginx']);
      expect(kubectlOk(kc, ['-n', 'app', 'get', 'pod', 'p1', '-o', 'jsonpath={.metadata.namespace}'])).toBe(
        'app',
      );
      expect(kubectlOk(kc, ['get', 'configmaps', '-A', '-o', 'name'])).toContain('configmap/c');
      kubectlOk(kc, ['get', 'nodes']);
      kubectlOk(kc, ['get', 'storageclasses']);
      // The host namespace exists, labelled as the tenant's, with kplex's own grant in it.
      const hostNs = adm([
        'get',
        'ns',
        '-l',
        'kplex.io/namespace=app,kplex.io/tenant=lp-one',
        '-o',
        'name',
      ]).trim();
      expect(hostNs).toMatch(/^namespace\//);
      const binding = adm([
        '-n',
        hostNs.split('/')[1]!,
        'get',
        'rolebinding',
        'kplex',
        '-o',
        'jsonpath={.roleRef.name}',
      ]);
      expect(binding).toBe('kplex-host-namespace');
    });

    it('watches across namespaces (-A): namespaces that get a host namespace during the watch join it', async () => {
      const child = spawn('kubectl', ['--kubeconfig', kc, 'get', 'pods', '-A', '-w']);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      try {
        kubectlOk(kc, ['create', 'namespace', 'late']);
        kubectlOk(kc, ['-n', 'late', 'run', 'joiner', '--image=nginx']);
        for (let i = 0; i < 150 && !/late\s+joiner/.test(out); i++)
          await new Promise((r) => setTimeout(r, 100));
        expect(out, kplex.logs.slice(-20).join('\n')).toMatch(/late\s+joiner/);
      } finally {
        child.kill();
      }
    });

    it("keeps its own quota and isolation NetworkPolicy in a new host namespace (rights that lag the namespace's event)", async () => {
      kubectlOk(kc, ['create', 'namespace', 'fresh']);
      kubectlOk(kc, ['-n', 'fresh', 'create', 'configmap', 'c']);
      const hostNs = adm([
        'get',
        'ns',
        '-l',
        'kplex.io/namespace=fresh,kplex.io/tenant=lp-one',
        '-o',
        'jsonpath={.items[0].metadata.name}',
      ]);
      const kept = () =>
        kubectl(host.kubeconfig, [
          '-n',
          hostNs,
          'get',
          'networkpolicy/kplex-tenant-isolation',
          'resourcequota/quota.kplex.io',
          '-o',
          'name',
        ]).stdout;
      for (let i = 0; i < 100 && kept().split('\n').filter(Boolean).length < 2; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(kept()).toContain('networkpolicy.networking.k8s.io/kplex-tenant-isolation');
      expect(kept()).toContain('resourcequota/quota.kplex.io');
    });

    it('the tenant quota counts pods across namespaces from per-namespace watches (no cluster-wide pod list)', async () => {
      const tenantPatch = (quota: unknown) =>
        adm([
          'patch',
          'tenant',
          'lp-one',
          '--type=merge',
          '-p',
          JSON.stringify({ spec: { policy: { quota } } }),
        ]);
      /** The tenant's pods on the host, in all its host namespaces. */
      const hostPods = () =>
        adm(['get', 'ns', '-l', 'kplex.io/tenant=lp-one', '-o', 'name'])
          .split('\n')
          .filter(Boolean)
          .map(
            (n) =>
              adm(['-n', n.split('/')[1]!, 'get', 'pods', '-o', 'name'])
                .split('\n')
                .filter(Boolean).length,
          )
          .reduce((a, b) => a + b, 0);
      /** The quota's figure as the tenant reads it (usage from kplex's host watches, no reservation). */
      const shown = (field: 'used' | 'hard') =>
        kubectl(kc, [
          '-n',
          'app',
          'get',
          'quota',
          'tenant-quota.kplex.io',
          '-o',
          `jsonpath={.status.${field}.pods}`,
        ]).stdout;
      const until = async (what: () => boolean, why: string) => {
        for (let i = 0; i < 150 && !what(); i++) await new Promise((r) => setTimeout(r, 200));
        expect(what(), why).toBe(true);
      };
      for (const n of ['qa', 'qb']) kubectlOk(kc, ['create', 'namespace', n]);
      kubectlOk(kc, ['-n', 'qa', 'run', 'q1', '--image=nginx']);
      let used = 0;
      await until(() => shown('used') === String((used = hostPods())), 'the shown usage is the host pods');
      try {
        tenantPatch({ pods: String(used + 1) });
        await until(() => shown('hard') === String(used + 1), 'the new hard limit is shown');
        kubectlOk(kc, ['-n', 'qb', 'run', 'q2', '--image=nginx']);
        await until(() => shown('used') === String(used + 1), 'the pod of another namespace is counted');
        const over = kubectl(kc, ['-n', 'qa', 'run', 'q3', '--image=nginx']);
        refused(over, /exceeded quota: tenant-quota\.kplex\.io/);
      } finally {
        tenantPatch(null);
      }
    });

    it('identity: kplex tokens, service account tokens and reviews', () => {
      kubectlOk(kc, ['-n', 'app', 'create', 'serviceaccount', 'bot']);
      const token = kubectlOk(kc, ['-n', 'app', 'create', 'token', 'bot']).trim();
      expect(
        kubectl(kc, ['--token', token, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])
          .stdout,
      ).toBe('system:serviceaccount:app:bot');
      expect(kubectlOk(kc, ['auth', 'can-i', 'create', 'pods', '-n', 'app']).trim()).toBe('yes');
      expect(
        kubectl(kc, ['--token', token, 'auth', 'can-i', 'create', 'pods', '-n', 'app']).stdout.trim(),
      ).toBe('no');
    });

    it('tenants: a second tenant is created and served, and deleting it removes its host namespaces', async () => {
      kplexCli(['tenant', 'create', 'lp-two', '--host-kubeconfig', saKc]);
      expect(kplexCli(['tenant', 'list', '--host-kubeconfig', saKc]).split('\n')).toContain('lp-two');
      kplexCli(['tenant', 'delete', 'lp-two', '--host-kubeconfig', saKc]);
      for (let i = 0; i < 300; i++) {
        if (!adm(['get', 'ns', '-l', 'kplex.io/tenant=lp-two', '-o', 'name']).trim()) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error('the deleted tenant kept host namespaces');
    });
  });

  it('a host namespace left without its binding (an earlier run, a crash) gets it when kplex starts', async () => {
    const hostNs = adm([
      'get',
      'ns',
      '-l',
      'kplex.io/namespace=app,kplex.io/tenant=lp-one',
      '-o',
      'jsonpath={.items[0].metadata.name}',
    ]);
    adm(['-n', hostNs, 'delete', 'rolebinding', 'kplex']);
    // Meanwhile the host refuses kplex there: the tenant's 403 names its own user, never kplex's host identity.
    let read = kubectl(kc, ['-n', 'app', 'get', 'configmaps']);
    for (let i = 0; i < 50 && read.code === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      read = kubectl(kc, ['-n', 'app', 'get', 'configmaps']);
    }
    expect(read.code, read.stdout).not.toBe(0);
    expect(read.stderr).toMatch(/configmaps is forbidden: User "admin" cannot list resource "configmaps"/);
    expect(read.stderr).not.toMatch(/system:serviceaccount|kplex-/);
    const port = kplex.port;
    await kplex.stop();
    kplex = await startKplex([...kplexArgs, '--port', String(port)]);
    for (let i = 0; i < 150 && kubectl(kc, ['get', '--raw', '/version']).code !== 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    // kplex binds itself in its existing host namespaces in the background at start.
    let got = kubectl(kc, ['-n', 'app', 'get', 'secret', 's', '-o', 'jsonpath={.data.p}']);
    for (let i = 0; i < 100 && got.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      got = kubectl(kc, ['-n', 'app', 'get', 'secret', 's', '-o', 'jsonpath={.data.p}']);
    }
    expect(got.stdout).toBe('cQ==');
    expect(adm(['-n', hostNs, 'get', 'rolebinding', 'kplex', '-o', 'name']).trim()).toBe(
      'rolebinding.rbac.authorization.k8s.io/kplex',
    );
  });

  describe("kplex's token cannot", () => {
    it('read Secrets outside kplex-system and the host namespaces it created', () => {
      for (const ns of ['kube-system', 'default', 'kube-public'])
        refused(asKplex(['-n', ns, 'get', 'secrets']), FORBIDDEN);
      refused(asKplex(['get', 'secrets', '-A']), FORBIDDEN);
      refused(asKplex(['-n', 'kube-system', 'get', 'secret', 'anything']), FORBIDDEN);
      // Its own: allowed.
      expect(asKplex(['-n', 'kplex-system', 'get', 'secrets']).code).toBe(0);
    });

    it('read or write namespaced objects in non-kplex namespaces', () => {
      refused(asKplex(['-n', 'kube-system', 'get', 'configmaps']), FORBIDDEN);
      refused(asKplex(['-n', 'default', 'get', 'pods']), FORBIDDEN);
      refused(asKplex(['-n', 'default', 'create', 'configmap', 'x', '--dry-run=server']), FORBIDDEN);
      refused(
        asKplex(['-n', 'kube-system', 'run', 'evil', '--image=busybox', '--dry-run=server']),
        FORBIDDEN,
      );
      refused(asKplex(['-n', 'kube-system', 'create', 'token', 'default']), FORBIDDEN);
    });

    it('create, relabel or delete namespaces that are not its tenants', () => {
      if (kubectl(host.kubeconfig, ['get', 'namespace', 'lp-victim']).code !== 0)
        adm(['create', 'namespace', 'lp-victim']);
      refused(asKplex(['delete', 'namespace', 'lp-victim', '--dry-run=server']), /kplex may only/);
      refused(asKplex(['label', 'namespace', 'lp-victim', 'x=y', '--dry-run=server']), /kplex may only/);
      refused(
        asKplex(['label', 'namespace', 'default', 'kplex.io/tenant-uid=x', '--dry-run=server']),
        /kplex may only/,
      );
      refused(asKplex(['create', 'namespace', 'plain', '--dry-run=server']), /kplex may only/);
    });

    it('strip the tenant label from a host namespace to take it out of policy', () => {
      const hostNs = adm([
        'get',
        'ns',
        '-l',
        'kplex.io/namespace=app,kplex.io/tenant=lp-one',
        '-o',
        'jsonpath={.items[0].metadata.name}',
      ]);
      refused(
        asKplex(['label', 'namespace', hostNs, 'kplex.io/tenant-uid-', '--dry-run=server']),
        /kplex may only/,
      );
    });

    it('escalate: bind cluster-admin, bind its namespace role elsewhere or to others, make roles', () => {
      const hostNs = adm([
        'get',
        'ns',
        '-l',
        'kplex.io/namespace=app,kplex.io/tenant=lp-one',
        '-o',
        'jsonpath={.items[0].metadata.name}',
      ]);
      refused(
        asKplex([
          'create',
          'clusterrolebinding',
          'evil',
          '--clusterrole=cluster-admin',
          '--serviceaccount=kplex-system:kplex',
          '--dry-run=server',
        ]),
        FORBIDDEN,
      );
      refused(
        asKplex([
          '-n',
          hostNs,
          'create',
          'rolebinding',
          'evil',
          '--clusterrole=cluster-admin',
          '--serviceaccount=kplex-system:kplex',
          '--dry-run=server',
        ]),
        FORBIDDEN,
      );
      refused(
        asKplex([
          '-n',
          'kube-system',
          'create',
          'rolebinding',
          'evil',
          '--clusterrole=kplex-host-namespace',
          '--serviceaccount=kplex-system:kplex',
          '--dry-run=server',
        ]),
        /kplex may only bind/,
      );
      refused(
        asKplex([
          '-n',
          hostNs,
          'create',
          'rolebinding',
          'evil',
          '--clusterrole=kplex-host-namespace',
          '--serviceaccount=default:default',
          '--dry-run=server',
        ]),
        /kplex may only bind/,
      );
      refused(
        asKplex(['create', 'clusterrole', 'evil', '--verb=*', '--resource=*', '--dry-run=server']),
        FORBIDDEN,
      );
      refused(
        asKplex([
          '-n',
          hostNs,
          'create',
          'role',
          'evil',
          '--verb=*',
          '--resource=secrets',
          '--dry-run=server',
        ]),
        FORBIDDEN,
      );
      refused(asKplex(['get', 'secrets', '-n', 'kube-system', '--as', 'system:admin']), FORBIDDEN);
    });

    it('widen its pod webhook to other namespaces or add webhooks', () => {
      refused(
        asKplex([
          'patch',
          'mutatingwebhookconfiguration',
          'kplex-pods',
          '--type=json',
          '-p',
          '[{"op":"replace","path":"/webhooks/0/namespaceSelector","value":{}}]',
          '--dry-run=server',
        ]),
        /kplex may only register its pod webhook/,
      );
      refused(
        asKplex([
          'patch',
          'mutatingwebhookconfiguration',
          'kplex-pods',
          '--type=json',
          '-p',
          '[{"op":"add","path":"/webhooks/0/rules/0/resources/-","value":"secrets"}]',
          '--dry-run=server',
        ]),
        /kplex may only register its pod webhook/,
      );
      const other = {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: 'evil' },
        webhooks: [],
      };
      refused(
        asKplex(['create', '--dry-run=server', '-f', '-'], JSON.stringify(other)),
        /kplex may only register/,
      );
      refused(asKplex(['get', 'validatingwebhookconfigurations']), FORBIDDEN);
      refused(
        asKplex(['delete', 'validatingadmissionpolicy', 'kplex-namespaces', '--dry-run=server']),
        FORBIDDEN,
      );
    });

    it('change other CRDs or reach nodes through the proxy', () => {
      refused(asKplex(['get', 'crd']), FORBIDDEN);
      refused(asKplex(['get', '--raw', '/api/v1/nodes/kwok-node-0/proxy/']), FORBIDDEN);
    });
  });
});
