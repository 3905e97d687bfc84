// Host passthrough with the real kubectl: a tenant's workloads live in its host namespaces, where
// the host's controllers, scheduler and kwok run them; the tenant sees its own namespace names.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiClient } from '../helpers/api-client.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { watch } from '../helpers/watch.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const TENANT = 'pt-work';

const deployment = (replicas: number, image = 'nginx:1.27') => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image }] } },
  },
});

/** Runs kubectl in the background, collecting stdout until stopped. */
function kubectlStream(kubeconfig: string, args: string[]): { out: () => string; stop: () => Promise<void> } {
  let out = '';
  const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args]);
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return { out: () => out, stop: async () => void (child.kill('SIGTERM'), await exited) };
}

async function until(what: string, ms: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const running = (kc: string): number =>
  kubectlOk(kc, [
    'get',
    'pods',
    '-l',
    'app=web',
    '-o',
    'jsonpath={range .items[*]}{.status.phase}{"\\n"}{end}',
  ])
    .split('\n')
    .filter((p) => p === 'Running').length;

describe('host passthrough: workloads through kubectl', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;

  beforeAll(async () => {
    env = await startTenantEnv(host);
    kc = await env.tenant(TENANT);
  });
  afterAll(async () => env?.close());

  it('runs a Deployment of 3 replicas to 3 Running pods, streamed by get pods -A -w with virtual namespace names', async () => {
    const w = kubectlStream(kc, ['get', 'pods', '-A', '-w']);
    kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(deployment(3)));
    await until('3 Running pods', 30_000, () => running(kc) === 3);
    await until(
      'the watch to show 3 Running pods',
      15_000,
      () =>
        new Set(
          w
            .out()
            .split('\n')
            .filter((l) => l.includes('Running'))
            .map((l) => l.split(/\s+/)[1]),
        ).size >= 3,
    );
    await w.stop();
    const lines = w
      .out()
      .split('\n')
      .filter((l) => l.includes('web-'));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const l of lines) expect(l.split(/\s+/)[0]).toBe('default');
    expect(w.out()).not.toContain(`${TENANT}-default`);
    const ns = kubectlOk(kc, ['get', 'pods', '-A', '-o', 'jsonpath={.items[*].metadata.namespace}']).split(
      ' ',
    );
    expect(new Set(ns)).toEqual(new Set(['default']));
  });

  it('watches across namespaces: new namespaces join, a watch-list ends its initial events with one merged bookmark', async () => {
    const w = kubectlStream(kc, ['get', 'pods', '-A', '-w']);
    await until('the watch to start', 10_000, () => w.out().includes('web-'));
    kubectlOk(kc, ['create', 'ns', 'late']);
    kubectlOk(kc, ['-n', 'late', 'run', 'latecomer', '--image=x']);
    await until("the new namespace's pod in the watch", 15_000, () => /^late\s+latecomer/m.test(w.out()));
    await w.stop();

    const api = await apiClient(kc);
    const wl = watch(
      api,
      '/api/v1/pods?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan',
    );
    await until('the initial-events-end bookmark', 10_000, () =>
      wl.events.some((e) => e.type === 'BOOKMARK'),
    );
    wl.stop();
    await wl.done;
    await api.close();
    const bookmarks = wl.events.filter((e) => e.type === 'BOOKMARK');
    expect(bookmarks).toHaveLength(1);
    expect(bookmarks[0]!.object.metadata).toMatchObject({
      annotations: { 'k8s.io/initial-events-end': 'true' },
    });
    const before = wl.events.slice(0, wl.events.indexOf(bookmarks[0]!));
    expect(
      new Set(
        before.map(
          (e) => `${(e.object.metadata as { namespace?: string }).namespace}/${e.object.metadata?.name}`,
        ),
      ),
    ).toContain('late/latecomer');
    expect(before.filter((e) => e.object.metadata?.name?.startsWith('web-'))).toHaveLength(3);
  });

  it('supports rollout status, scale and rollout undo', () => {
    kubectlOk(kc, ['rollout', 'status', 'deployment/web', '--timeout=30s']);
    kubectlOk(kc, ['scale', 'deployment/web', '--replicas=2']);
    kubectlOk(kc, ['rollout', 'status', 'deployment/web', '--timeout=30s']);
    expect(kubectlOk(kc, ['get', 'deployment', 'web', '-o', 'jsonpath={.status.readyReplicas}'])).toBe('2');
    kubectlOk(kc, ['set', 'image', 'deployment/web', 'nginx=nginx:1.28']);
    kubectlOk(kc, ['rollout', 'status', 'deployment/web', '--timeout=30s']);
    kubectlOk(kc, ['rollout', 'undo', 'deployment/web']);
    kubectlOk(kc, ['rollout', 'status', 'deployment/web', '--timeout=30s']);
    expect(
      kubectlOk(kc, ['get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']),
    ).toBe('nginx:1.27');
    expect(kubectlOk(kc, ['get', 'rs', '-o', 'name']).trim().split('\n')).toHaveLength(2);
  });

  it('streams logs and logs -f, and runs exec', async () => {
    const pod = kubectlOk(kc, ['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}']);
    expect(kubectlOk(kc, ['logs', pod])).toContain('kwok fake container started');
    const f = kubectlStream(kc, ['logs', '-f', pod]);
    await until('the existing log', 10_000, () => f.out().includes('serving requests'));
    appendFileSync(
      path.join(host.dir, 'kwok', 'container.log'),
      '2024-01-01T00:00:09Z stdout F followed line\n',
    );
    await until('the appended line through logs -f', 10_000, () => f.out().includes('followed line'));
    await f.stop();
    expect(kubectlOk(kc, ['exec', pod, '--', 'echo', 'hello from exec'])).toBe('hello from exec\n');
    // A refused upgrade comes back as the host's Status, rewritten.
    const bad = kubectl(kc, ['exec', pod, '-c', 'nope', '--', 'true']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(`container nope is not valid for pod ${pod}`);
    expect(bad.stderr).not.toContain(`${TENANT}-`);
  });

  it('port-forwards to a pod (kwok echoes the bytes)', async () => {
    const pod = kubectlOk(kc, ['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}']);
    const pf = kubectlStream(kc, ['port-forward', `pod/${pod}`, ':80']);
    await until('the forwarded port', 10_000, () => /127\.0\.0\.1:(\d+)/.test(pf.out()));
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(pf.out())![1]);
    const echoed = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1', () => sock.write('ping through kplex'));
      sock.on('data', (d) => {
        resolve(d.toString());
        sock.destroy();
      });
      sock.on('error', reject);
      setTimeout(() => reject(new Error('no echo')), 5_000).unref();
    });
    await pf.stop();
    expect(echoed).toBe('ping through kplex');
  });

  it('shows no diff after applying the same manifest twice', () => {
    const manifest = JSON.stringify(deployment(2));
    kubectlOk(kc, ['apply', '-f', '-'], manifest);
    kubectlOk(kc, ['apply', '-f', '-'], manifest);
    const diff = kubectl(kc, ['diff', '-f', '-'], manifest);
    expect(diff.stderr).toBe('');
    expect(diff.stdout).toBe('');
    expect(diff.code).toBe(0);
  });

  it("orphans a ReplicaSet's pods on delete --cascade=orphan: the host garbage collector may update tenant pods", async () => {
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'orphans' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'orphans' } },
        template: {
          metadata: { labels: { app: 'orphans' } },
          spec: { containers: [{ name: 'c', image: 'x' }] },
        },
      },
    };
    kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(rs));
    const owners = (): string[] =>
      kubectlOk(kc, [
        'get',
        'pods',
        '-l',
        'app=orphans',
        '-o',
        'jsonpath={range .items[*]}{.metadata.name}={.metadata.ownerReferences[*].name}{"\\n"}{end}',
      ])
        .split('\n')
        .filter(Boolean);
    await until(
      '2 pods owned by the ReplicaSet',
      30_000,
      () => owners().filter((l) => l.endsWith('=orphans')).length === 2,
    );
    kubectlOk(kc, ['delete', 'replicaset', 'orphans', '--cascade=orphan', '--wait=true', '--timeout=60s']);
    // The garbage collector removes the owner reference from each pod (a host update of the pod).
    await until('2 pods without owners', 60_000, () => {
      const o = owners();
      return o.length === 2 && o.every((l) => l.endsWith('='));
    });
    kubectlOk(kc, ['delete', 'pods', '-l', 'app=orphans', '--wait=false']);
  });

  it('has a kubernetes Service in default whose endpoints point at kplex', () => {
    const port = new URL(env.kplex.url).port;
    expect(
      kubectlOk(kc, [
        'get',
        'service',
        'kubernetes',
        '-o',
        'jsonpath={.spec.ports[0].port}/{.spec.ports[0].targetPort}',
      ]),
    ).toBe(`443/${port}`);
    expect(
      kubectlOk(kc, ['get', 'endpoints', 'kubernetes', '-o', 'jsonpath={.subsets[0].ports[0].port}']),
    ).toBe(port);
  });

  it('shows a brand-new tenant its kubernetes Service on the first read', async () => {
    // Nothing has used the tenant's default namespace yet: its host namespace does not exist.
    const fresh = await env.tenant('fresh-svc');
    expect(kubectlOk(fresh, ['get', 'service', 'kubernetes', '-n', 'default', '-o', 'name'])).toBe(
      'service/kubernetes\n',
    );
    expect(kubectlOk(fresh, ['get', 'services', '-A', '-o', 'name'])).toBe('service/kubernetes\n');
  });

  it('removes the host namespace and everything in it when the namespace is deleted', async () => {
    kubectlOk(kc, ['create', 'ns', 'scratch']);
    kubectlOk(kc, ['-n', 'scratch', 'create', 'configmap', 'cm', '--from-literal=a=b']);
    kubectlOk(kc, ['-n', 'scratch', 'run', 'p', '--image=x']);
    const hostNs = kubectlOk(host.kubeconfig, [
      'get',
      'ns',
      '-l',
      `kplex.io/tenant=${TENANT},kplex.io/namespace=scratch`,
      '-o',
      'jsonpath={.items[*].metadata.name}',
    ]).trim();
    expect(hostNs).toBe(`${TENANT}-scratch`);
    expect(kubectlOk(host.kubeconfig, ['-n', hostNs, 'get', 'configmap', 'cm', '-o', 'name']).trim()).toBe(
      'configmap/cm',
    );
    kubectlOk(kc, ['delete', 'ns', 'scratch', '--timeout=60s']);
    expect(kubectl(kc, ['get', 'ns', 'scratch']).stderr).toContain('not found');
    await until(
      'the host namespace to be gone',
      30_000,
      () => kubectl(host.kubeconfig, ['get', 'ns', hostNs]).code !== 0,
    );
    expect(kubectl(host.kubeconfig, ['get', 'ns', hostNs]).stderr).toContain('not found');
  });
});
