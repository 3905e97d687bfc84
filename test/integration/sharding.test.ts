// Two sharded replicas (`kplex serve --shards 2 --shard K`) in front of the real host: tenants are
// placed on shards, each replica holds its shard's Lease, and any replica answers any tenant by
// forwarding to the owner (plain requests, watches, exec and port-forward). A killed owner's
// tenants get 503 with Retry-After from the other replica until it is back, with nothing
// acknowledged lost; a replica cut off from the host stops writing its shard.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiClient } from '../helpers/api-client.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { watch } from '../helpers/watch.js';
import { startShardedEnv, type ShardedEnv } from '../helpers/kplex-shards.js';
import type { HostClient } from '../../src/hostapi/host-client.js';

interface Tenant {
  metadata: { uid: string; labels?: Record<string, string> };
}
interface Lease {
  metadata: { annotations?: Record<string, string> };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

async function until(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A TCP proxy to the host apiserver in a child process (this process blocks in kubectl calls), that
 * the test can kill: the replica behind it loses the host.
 */
async function hostProxy(target: URL): Promise<{ port: number; cut(): void }> {
  const script = `const net = require('node:net');
const s = net.createServer((c) => {
  const up = net.connect(${Number(target.port)}, ${JSON.stringify(target.hostname)});
  c.pipe(up).pipe(c);
  c.on('error', () => up.destroy());
  up.on('error', () => c.destroy());
});
s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) =>
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString()))),
  );
  return { port, cut: () => void child.kill('SIGKILL') };
}

describe('sharded replicas', () => {
  const host = inject('host');
  let env: ShardedEnv;
  let hostApi: HostClient;
  let proxy: Awaited<ReturnType<typeof hostProxy>>;
  /** tenant name by shard */
  const onShard: string[] = [];
  const other = (shard: number): number => 1 - shard;

  beforeAll(async () => {
    hostApi = await apiClient(host.kubeconfig);
    // Replica 1 reaches the host through a proxy the lease-loss test cuts.
    proxy = await hostProxy(new URL(host.server));
    const proxied = path.join(path.dirname(host.kubeconfig), `kubeconfig-proxy-${process.pid}`);
    writeFileSync(
      proxied,
      readFileSync(host.kubeconfig, 'utf8').replace(host.server, `https://127.0.0.1:${proxy.port}`),
    );
    env = await startShardedEnv(host, 2, (shard) => (shard === 1 ? ['--host-kubeconfig', proxied] : []));
    // Tenants until each shard has one (other files' tenants on the same host count too).
    for (let i = 0; onShard.length < 2 || onShard.includes(undefined as never); i++) {
      if (i > 8) throw new Error('tenants were not spread over both shards');
      const name = `shard-t${i}`;
      await env.tenant(name, 0);
      const t = (await hostApi.must<Tenant>('GET', `/apis/kplex.io/v1alpha1/tenants/${name}`)).body;
      const shard = Number(t.metadata.labels?.['kplex.io/shard']);
      onShard[shard] ??= name;
    }
  }, 120_000);
  afterAll(async () => {
    await env?.close();
    proxy?.cut();
    await hostApi?.close();
  });

  it('places each tenant on one shard, recorded as a label of its Tenant', async () => {
    const list = (
      await hostApi.must<{ items: Tenant[] }>(
        'GET',
        '/apis/kplex.io/v1alpha1/tenants?labelSelector=kplex.io%2Fshard',
      )
    ).body.items;
    for (const name of onShard) expect(list.some((t) => JSON.stringify(t).includes(name))).toBe(true);
    for (const t of list) expect(['0', '1']).toContain(t.metadata.labels?.['kplex.io/shard']);
  });

  it('holds one Lease per shard in kplex-system, with its holder, duration and address', async () => {
    for (const r of env.replicas) {
      const lease = (
        await hostApi.must<Lease>(
          'GET',
          `/apis/coordination.k8s.io/v1/namespaces/kplex-system/leases/kplex-shard-${r.shard}`,
        )
      ).body;
      expect(lease.spec.holderIdentity).toBe(`it-replica-${r.shard}`);
      expect(lease.spec.leaseDurationSeconds).toBe(3);
      expect(lease.spec.leaseTransitions).toBeGreaterThanOrEqual(0);
      expect(Date.now() - Date.parse(lease.spec.renewTime ?? '')).toBeLessThan(3000);
      expect(lease.metadata.annotations?.['kplex.io/peer-address']).toBe(r.kplex.url);
    }
  });

  it('answers any tenant on any replica: the owner keeps the store, the other forwards', async () => {
    for (const [shard, name] of onShard.entries()) {
      const via = kubectlOk.bind(null, env.kubeconfig(name, other(shard)));
      const direct = kubectlOk.bind(null, env.kubeconfig(name, shard));
      via(['create', 'namespace', 'fwd']);
      via(['create', 'clusterrole', 'fwd-reader', '--verb=get', '--resource=pods']);
      via(['create', 'configmap', 'fwd', '-n', 'fwd', '--from-literal=k=v']);
      expect(direct(['get', 'clusterrole', 'fwd-reader', '-o', 'name'])).toBe(
        'clusterrole.rbac.authorization.k8s.io/fwd-reader\n',
      );
      expect(direct(['get', 'configmap', 'fwd', '-n', 'fwd', '-o', 'jsonpath={.data.k}'])).toBe('v');
      expect(via(['get', 'namespace', 'fwd', '-o', 'jsonpath={.metadata.name}'])).toBe('fwd');
      const uid = (await hostApi.must<Tenant>('GET', `/apis/kplex.io/v1alpha1/tenants/${name}`)).body.metadata
        .uid;
      const file = (dir: string): string => path.join(dir, 'tenants', `${uid}.db`);
      expect(existsSync(file(env.replicas[shard]!.dataDir))).toBe(true);
      expect(existsSync(file(env.replicas[other(shard)]!.dataDir))).toBe(false);
    }
  });

  it('forwards a client certificate: the owner authenticates the same user', () => {
    const name = onShard[1]!;
    const kc = env.kubeconfig(name, 0, { clientCert: true });
    expect(kubectlOk(kc, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])).toBe('admin');
    expect(kubectlOk(kc, ['get', 'namespace', 'fwd', '-o', 'name'])).toBe('namespace/fwd\n');
  });

  it('streams a watch through the forwarding replica', async () => {
    const name = onShard[1]!;
    const via = await apiClient(env.kubeconfig(name, 0));
    const direct = kubectlOk.bind(null, env.kubeconfig(name, 1));
    try {
      const rv = JSON.parse(
        direct(['get', '--raw', '/apis/rbac.authorization.k8s.io/v1/clusterroles?limit=1']),
      ).metadata.resourceVersion as string;
      const w = watch(via, `/apis/rbac.authorization.k8s.io/v1/clusterroles?watch=1&resourceVersion=${rv}`);
      direct(['create', 'clusterrole', 'watched', '--verb=get', '--resource=pods']);
      await until('the event through the forwarder', 10_000, () =>
        w.events.some((e) => e.type === 'ADDED' && e.object.metadata?.name === 'watched'),
      );
      w.stop();
    } finally {
      await via.close();
    }
  });

  it('forwards exec and port-forward (upgrades) to the owner', async () => {
    const name = onShard[1]!;
    const kc = env.kubeconfig(name, 0);
    kubectlOk(kc, ['create', 'deployment', 'web', '--image=nginx:1.27', '-n', 'fwd']);
    await until('a Running pod', 30_000, () =>
      kubectlOk(kc, ['get', 'pods', '-n', 'fwd', '-o', 'jsonpath={.items[*].status.phase}']).includes(
        'Running',
      ),
    );
    const pod = kubectlOk(kc, ['get', 'pods', '-n', 'fwd', '-o', 'jsonpath={.items[0].metadata.name}']);
    expect(kubectlOk(kc, ['exec', '-n', 'fwd', pod, '--', 'echo', 'hello via a replica'])).toBe(
      'hello via a replica\n',
    );
    const pf = spawn('kubectl', ['--kubeconfig', kc, 'port-forward', '-n', 'fwd', `pod/${pod}`, ':80']);
    let out = '';
    pf.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until('the forwarded port', 10_000, () => /127\.0\.0\.1:(\d+)/.test(out));
      const port = Number(/127\.0\.0\.1:(\d+)/.exec(out)![1]);
      const echoed = await new Promise<string>((resolve, reject) => {
        const sock = net.connect(port, '127.0.0.1', () => sock.write('ping through two replicas'));
        sock.on('data', (d) => {
          resolve(d.toString());
          sock.destroy();
        });
        sock.on('error', reject);
      });
      expect(echoed).toBe('ping through two replicas');
    } finally {
      pf.kill('SIGTERM');
    }
  });

  it('moves a tenant to the other shard under a steady write load: nothing acknowledged lost, writes paused under a second, watches end and resume', async () => {
    const name = 'shard-move';
    await env.tenant(name, 0);
    const t = (await hostApi.must<Tenant>('GET', `/apis/kplex.io/v1alpha1/tenants/${name}`)).body;
    const from = Number(t.metadata.labels?.['kplex.io/shard']);
    const to = other(from);
    const api = await apiClient(env.kubeconfig(name, to));
    const ownerApi = await apiClient(env.kubeconfig(name, from));
    const roles = '/apis/rbac.authorization.k8s.io/v1/clusterroles';
    const acked: string[] = [];
    const okAt: number[] = [];
    let stop = false;
    let refused = 0;
    try {
      const rv = (await api.must<{ metadata: { resourceVersion: string } }>('GET', `${roles}?limit=1`)).body
        .metadata.resourceVersion;
      const w = watch(ownerApi, `${roles}?watch=1&resourceVersion=${rv}`);
      const load = (async () => {
        for (let i = 0; !stop; i++) {
          const res = await api.request('POST', roles, {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRole',
            metadata: { name: `moving-${i}` },
            rules: [],
          });
          // 409: a write the old owner committed as the move fenced it, its answer cut (not acknowledged).
          if (res.status === 201 || res.status === 409) {
            acked.push(`moving-${i}`);
            okAt.push(performance.now());
          } else {
            expect(res.status).toBe(503);
            expect(res.headers['retry-after']).toBe('1');
            refused++;
            i--; // the same name again: it was not written
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      })();
      await until('writes before the move', 10_000, () => acked.length >= 20);
      const cli = spawn(process.execPath, [
        inject('kplexMain'),
        'tenant',
        'move',
        name,
        '--to-shard',
        String(to),
        '--host-kubeconfig',
        host.kubeconfig,
      ]);
      let out = '';
      cli.stdout.on('data', (d: Buffer) => (out += d.toString()));
      cli.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((r) => cli.on('exit', r));
      expect(out).toContain(`moved to shard ${to}`);
      expect(code).toBe(0);
      const n = acked.length;
      await until('writes after the move', 10_000, () => acked.length >= n + 20);
      stop = true;
      await load;
      // The open watch on the old owner ended with the fence; resumed from its last version on any replica.
      await w.done;
      const last = w.events.at(-1)?.object.metadata?.resourceVersion ?? rv;
      const resumed = watch(api, `${roles}?watch=1&resourceVersion=${last}`);
      await until('the resumed watch to reach the last write', 10_000, () =>
        resumed.events.some((e) => e.object.metadata?.name === acked.at(-1)),
      );
      resumed.stop();
      const seen = new Set([...w.events, ...resumed.events].map((e) => e.object.metadata?.name));
      for (const a of acked) expect(seen.has(a)).toBe(true);
    } finally {
      stop = true;
      await api.close();
      await ownerApi.close();
    }
    const moved = (await hostApi.must<Tenant>('GET', `/apis/kplex.io/v1alpha1/tenants/${name}`)).body;
    expect(moved.metadata.labels?.['kplex.io/shard']).toBe(String(to));
    const kc = env.kubeconfig(name, from);
    const names = kubectlOk(kc, ['get', 'clusterroles', '-o', 'name']);
    for (const a of acked) expect(names).toContain(`clusterrole.rbac.authorization.k8s.io/${a}\n`);
    const file = (dir: string): string => path.join(dir, 'tenants', `${moved.metadata.uid}.db`);
    expect(existsSync(file(env.replicas[to]!.dataDir))).toBe(true);
    await until('the old copy deleted', 5_000, () => !existsSync(file(env.replicas[from]!.dataDir)));
    const gaps = okAt.slice(1).map((x, i) => x - okAt[i]!);
    const pause = Math.max(...gaps);
    console.log(
      `tenant move: ${acked.length} acknowledged writes, ${refused} answered 503, longest pause ${pause.toFixed(0)} ms`,
    );
    expect(refused).toBeGreaterThan(0);
    expect(pause).toBeLessThan(1000);
  });

  it('answers 503 with Retry-After within a second while the owner is killed, other shards unaffected; nothing acknowledged is lost', async () => {
    const [a, b] = [onShard[0]!, onShard[1]!];
    const kcB = env.kubeconfig(b, 0);
    const kcA = env.kubeconfig(a, 0);
    for (let i = 0; i < 20; i++)
      kubectlOk(kcB, ['create', 'clusterrole', `acked-${i}`, '--verb=get', '--resource=pods']);
    await env.replicas[1]!.kplex.stop('SIGKILL');
    const api = await apiClient(kcB);
    try {
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const res = await api.request<{ kind: string; reason: string; code: number }>(
          'GET',
          '/api/v1/namespaces',
        );
        const ms = performance.now() - t0;
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
        expect(res.headers['retry-after']).toBe('1');
        expect(ms).toBeLessThan(1000);
        // Shard 0's tenant is served throughout.
        expect(kubectl(kcA, ['get', 'namespaces', '-o', 'name']).code).toBe(0);
        await new Promise((r) => setTimeout(r, 1000));
      }
    } finally {
      await api.close();
    }
    await env.replicas[1]!.restart();
    await until('the restarted owner', 15_000, () => kubectl(kcB, ['get', '--raw', '/version']).code === 0);
    const names = kubectlOk(kcB, ['get', 'clusterroles', '-o', 'name']);
    for (let i = 0; i < 20; i++)
      expect(names).toContain(`clusterrole.rbac.authorization.k8s.io/acked-${i}\n`);
  });

  it('stops writing its shard when it cannot renew its Lease (host unreachable), before the Lease expires', async () => {
    const b = onShard[1]!;
    const direct = env.kubeconfig(b, 1);
    const api = await apiClient(direct);
    try {
      const w = watch(api, '/apis/rbac.authorization.k8s.io/v1/clusterroles?watch=1');
      proxy.cut();
      // Fenced within the renew deadline (2 s of a 3 s lease): the open watch ends, writes get 503.
      await w.done;
      const res = await api.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'fenced' },
        rules: [],
      });
      // Until the fence the write may still be served; the test waits for the fence and tries again.
      await until('the fence', 5_000, async () => {
        const r = await api.request('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/acked-0');
        return r.status === 503;
      });
      expect([201, 503]).toContain(res.status);
      const after = await api.request<{ reason: string }>(
        'POST',
        '/apis/rbac.authorization.k8s.io/v1/clusterroles',
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'fenced-after' },
          rules: [],
        },
      );
      expect(after.status).toBe(503);
      expect(after.body.reason).toBe('ServiceUnavailable');
    } finally {
      await api.close();
    }
  });
});
