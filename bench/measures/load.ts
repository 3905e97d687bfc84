// 8. Load: many active tenants at once. Workers run a fixed mix of reads and writes on a virtual
// kind (Roles: kplex's per-tenant store) and a host-backed one (ConfigMaps: passthrough), each
// unit of work in a tenant drawn at random, so every tenant is active and the store pool, token
// checks and host connections are shared the way production shares them. The same mix is sent
// straight to the host (one host namespace per tenant). Slices of the run alternate kplex and host
// (ABBA) so machine noise hits both; CPU is read from /proc/<pid>/stat around each slice.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { call, must, type Target } from '../lib/api.js';
import type { Context } from '../lib/context.js';
import { pool } from '../lib/interleave.js';
import { latencyEntry, valueEntry, type Entry } from '../lib/report.js';
import { round, summarize } from '../lib/stats.js';
import { ensureServedTenants, tenantName } from '../lib/tenants.js';

/** Requests in flight (one client, as a busy controller fleet would keep). */
const WORKERS = 32;

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

/** CPU time (user + system) a process has used, in ms: fields 14 and 15 of /proc/<pid>/stat. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

interface Side {
  /** Where tenant i's objects live: its endpoint and namespace. */
  at(i: number): Promise<{ t: Target; ns: string }>;
}

type Kind = 'virtual' | 'host-backed';

interface Sample {
  kind: Kind;
  ms: number;
}

const configMap = (name: string, v: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels: { bench: 'load' } },
  data: { v, pad: 'x'.repeat(200) },
});
const role = (name: string, verb: string) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'Role',
  metadata: { name, labels: { bench: 'load' } },
  rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', verb] }],
});

const PATHS: Record<Kind, (ns: string) => string> = {
  'host-backed': (ns) => `/api/v1/namespaces/${ns}/configmaps`,
  virtual: (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
};
const BODY: Record<Kind, (name: string, round: number) => unknown> = {
  'host-backed': (name, r) => configMap(name, String(r)),
  virtual: (name, r) => role(name, r % 2 ? 'watch' : 'update'),
};

/**
 * One unit of work in one tenant, for each kind: create, get, list the namespace, get again,
 * update, delete (half reads, half writes). Returns the latency of each request.
 */
async function unit(t: Target, ns: string, name: string, out: Sample[]): Promise<void> {
  for (const kind of ['host-backed', 'virtual'] as const) {
    const col = PATHS[kind](ns);
    const timedCall = async (
      method: 'POST' | 'GET' | 'PUT' | 'DELETE',
      path: string,
      want: number,
      body?: unknown,
    ) => {
      const t0 = performance.now();
      const r = await call(t, method, path, body);
      out.push({ kind, ms: performance.now() - t0 });
      if (r.status !== want)
        throw new Error(`${method} ${t.base}${path}: ${r.status} ${r.text.slice(0, 200)}`);
      return r;
    };
    const created = JSON.parse((await timedCall('POST', col, 201, BODY[kind](name, 0))).text) as {
      metadata: { resourceVersion: string };
    };
    await timedCall('GET', `${col}/${name}`, 200);
    await timedCall('GET', col, 200);
    await timedCall('GET', `${col}/${name}`, 200);
    const body = BODY[kind](name, 1) as { metadata: Record<string, unknown> };
    body.metadata['resourceVersion'] = created.metadata.resourceVersion;
    await timedCall('PUT', `${col}/${name}`, 200, body);
    await timedCall('DELETE', `${col}/${name}`, 200);
  }
}

/** Requests per unit of work (6 per kind). */
const PER_UNIT = 12;

interface SliceResult {
  samples: Sample[];
  seconds: number;
  cpu: Record<string, number>;
  /** Requests the host apiserver served meanwhile (its apiserver_request_total, all clients). */
  hostRequests: number;
  /** The same by verb and resource. */
  byResource: Map<string, number>;
}

/** The host apiserver's apiserver_request_total by verb and resource. */
async function hostRequestCounts(host: Target): Promise<Map<string, number>> {
  const r = await call(host, 'GET', '/metrics');
  if (r.status !== 200) throw new Error(`host /metrics: ${r.status}`);
  const out = new Map<string, number>();
  for (const line of r.text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const key = `${/verb="(\w+)"/.exec(line)?.[1]} ${/resource="([\w.-]*)"/.exec(line)?.[1] || '(other)'}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

/** The host apiserver's apiserver_request_total summed over all series. */
async function hostRequestTotal(host: Target): Promise<number> {
  return [...(await hostRequestCounts(host)).values()].reduce((a, b) => a + b, 0);
}

/** Host requests between two counts, by verb and resource. */
function requestDelta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)]));
}

async function slice(
  side: Side,
  tenants: number,
  units: number,
  tag: string,
  pids: Record<string, number>,
  progress: (done: number) => void,
  hostApi: Target,
): Promise<SliceResult> {
  const samples: Sample[] = [];
  const requests0 = await hostRequestCounts(hostApi);
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  const t0 = performance.now();
  let done = 0;
  await pool(
    Array.from({ length: units }, (_, u) => u),
    WORKERS,
    async (u) => {
      const i = Math.floor(Math.random() * tenants);
      const { t, ns } = await side.at(i);
      await unit(t, ns, `ld-${tag}-${u}`, samples);
      if (++done % Math.max(1, Math.floor(units / 4)) === 0) progress(done);
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid) - cpu0[k]!]));
  const byResource = requestDelta(requests0, await hostRequestCounts(hostApi));
  // less the one /metrics read that took requests0
  const hostRequests = [...byResource.values()].reduce((a, b) => a + b, 0) - 1;
  return { samples, seconds, cpu, hostRequests, byResource };
}

export async function load(ctx: Context): Promise<Entry[]> {
  const { stack, log } = ctx;
  const tenants = ctx.quick ? 100 : 1000;
  /** Units of work per slice; 4 slices (kplex, host, host, kplex), 12 requests a unit. */
  const units = ctx.quick ? 150 : 400;
  await ensureServedTenants(ctx, tenants);
  const hostNs = (i: number) => `load-${String(i).padStart(5, '0')}`;
  log(`  creating ${tenants} host namespaces for the host side`);
  await pool(
    Array.from({ length: tenants }, (_, i) => i),
    16,
    async (i) =>
      void (await must(
        stack.hostApi,
        'POST',
        '/api/v1/namespaces',
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: hostNs(i) } },
        [409],
      )),
  );
  const targets = new Map<number, Target>();
  const kplex: Side = {
    async at(i) {
      let t = targets.get(i);
      if (!t) targets.set(i, (t = await stack.tenant(tenantName(i))));
      return { t, ns: 'default' };
    },
  };
  const host: Side = { at: async (i) => ({ t: stack.hostApi, ns: hostNs(i) }) };
  const pids = {
    kplex: stack.kplexPid,
    apiserver: stack.host.pids['kube-apiserver']!,
    etcd: stack.host.pids['etcd']!,
  };
  // Every tenant used once first: a tenant's host namespace is made on its first host-backed
  // request, which this measure is not about (bench density and create-cost measure first use).
  log(`  first use of every tenant (its host namespace is made then)`);
  await pool(
    Array.from({ length: tenants }, (_, i) => i),
    16,
    async (i) => {
      for (const side of [kplex, host]) {
        const { t, ns } = await side.at(i);
        // a write: a list of a namespace with no host namespace yet is answered empty without one
        await must(t, 'POST', PATHS['host-backed'](ns), configMap('first-use', '0'), [409]);
        await must(t, 'DELETE', `${PATHS['host-backed'](ns)}/first-use`);
        await must(t, 'GET', PATHS.virtual(ns));
      }
    },
  );
  // New (host) namespaces keep the host's controllers busy for a while (service accounts, root CA
  // configmaps): wait until its request rate is back to the background before measuring.
  const settleEnd = Date.now() + 120_000;
  for (let last = await hostRequestTotal(stack.hostApi); Date.now() < settleEnd;) {
    await new Promise((r) => setTimeout(r, 2000));
    const now = await hostRequestTotal(stack.hostApi);
    const rate = (now - last - 1) / 2;
    last = now;
    if (rate < 30) break;
    log(`  the host is still busy with the new namespaces (${Math.round(rate)} requests/s)`);
  }
  // A short unmeasured warm-up of both sides (connections, the store pool, token caches).
  await slice(kplex, tenants, Math.min(units, 50), 'warm-k', pids, () => undefined, stack.hostApi);
  await slice(host, tenants, Math.min(units, 50), 'warm-h', pids, () => undefined, stack.hostApi);
  const results: Record<'kplex' | 'host', SliceResult[]> = { kplex: [], host: [] };
  const order = ['kplex', 'host', 'host', 'kplex'] as const;
  for (const [n, which] of order.entries()) {
    log(
      `  slice ${n + 1}/4 (${which}): ${units * PER_UNIT} requests over ${tenants} tenants, ${WORKERS} in flight`,
    );
    const r = await slice(
      which === 'kplex' ? kplex : host,
      tenants,
      units,
      `${n}`,
      pids,
      (done) => log(`    ${done * PER_UNIT}/${units * PER_UNIT} requests`),
      stack.hostApi,
    );
    log(
      `    ${Math.round(r.samples.length / r.seconds)} req/s; CPU ms: kplex ${Math.round(r.cpu['kplex']!)}, apiserver ${Math.round(r.cpu['apiserver']!)}, etcd ${Math.round(r.cpu['etcd']!)}; host requests ${r.hostRequests}`,
    );
    results[which].push(r);
  }
  const sum = (rs: SliceResult[], f: (r: SliceResult) => number) => rs.reduce((a, r) => a + f(r), 0);
  const fig = (side: 'kplex' | 'host') => {
    const rs = results[side];
    const requests = sum(rs, (r) => r.samples.length);
    const per1k = (k: string) => (sum(rs, (r) => r.cpu[k]!) / requests) * 1000;
    return {
      throughput: requests / sum(rs, (r) => r.seconds),
      all: summarize(rs.flatMap((r) => r.samples.map((s) => s.ms))),
      byKind: (kind: Kind) =>
        summarize(rs.flatMap((r) => r.samples.filter((s) => s.kind === kind).map((s) => s.ms))),
      kplexCpu: per1k('kplex'),
      apiserverCpu: per1k('apiserver'),
      totalCpu: per1k('kplex') + per1k('apiserver') + per1k('etcd'),
      hostRequests: (sum(rs, (r) => r.hostRequests) / requests) * 1000,
    };
  };
  const top = (side: 'kplex' | 'host') => {
    const by = new Map<string, number>();
    for (const r of results[side]) for (const [k, v] of r.byResource) by.set(k, (by.get(k) ?? 0) + v);
    const requests = sum(results[side], (r) => r.samples.length);
    return [...by]
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([k, v]) => `${k} ${Math.round((v / requests) * 1000)}`)
      .join(', ');
  };
  ctx.notes.push(
    `Load: host requests per 1,000 requests by verb and resource, the six largest: through kplex ${top('kplex')}; straight ${top('host')}.`,
  );
  const K = fig('kplex');
  const H = fig('host');
  const label = `${tenants.toLocaleString('en')} active tenants, ${WORKERS} in flight`;
  ctx.notes.push(
    `Load: ${WORKERS} workers, each unit of work in a tenant drawn at random out of ${tenants}: for ConfigMaps (host-backed) then Roles (virtual store) create, get, list the namespace, get, update, delete; the same mix straight to the host in one host namespace per tenant (Roles there are etcd's). Four slices of ${units * PER_UNIT} requests, kplex, host, host, kplex. CPU = utime + stime from /proc/<pid>/stat over the slices, per 1,000 requests: kplex's process vs the host apiserver serving the same mix straight; the system line adds the apiserver and etcd on both sides (kplex's slices include the host work kplex's requests cause).`,
  );
  const pair = (name: string, unitName: string, k: number, h: number): Entry => ({
    name,
    unit: unitName,
    kplex: round(k),
    host: round(h),
    ratio: round(k / h),
    goal: null,
    met: null,
  });
  return [
    pair(`load: throughput, ${label}`, 'req/s', K.throughput, H.throughput),
    latencyEntry(`load: latency, all requests, ${label}`, K.all, H.all),
    latencyEntry(
      `load: latency, host-backed (configmaps), ${label}`,
      K.byKind('host-backed'),
      H.byKind('host-backed'),
    ),
    latencyEntry(`load: latency, virtual (roles), ${label}`, K.byKind('virtual'), H.byKind('virtual')),
    pair(`load: CPU per 1,000 requests, kplex vs the host apiserver`, 'CPU ms', K.kplexCpu, H.apiserverCpu),
    pair(
      `load: CPU per 1,000 requests, system (kplex + apiserver + etcd vs apiserver + etcd)`,
      'CPU ms',
      K.totalCpu,
      H.totalCpu - H.kplexCpu,
    ),
    valueEntry(`load: host apiserver CPU per 1,000 requests through kplex`, 'CPU ms', K.apiserverCpu),
    pair(
      `load: host requests per 1,000 requests (all host clients: controllers, kplex, the bench)`,
      'requests',
      K.hostRequests,
      H.hostRequests,
    ),
  ];
}
