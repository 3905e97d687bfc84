// `npm run up|down`: the whole local stack in the background — the local host cluster and
// `kplex serve` in front of it — for the quick start and for manual testing. Idempotent.
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DNS_TEST_TAINT,
  freePort,
  hostRequest,
  isUp,
  readState,
  startHost,
  stopHost,
  webhookClientCA,
} from './host.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const state = path.join(root, '.kplex');
const hostDir = path.join(state, 'host');
const dataDir = path.join(state, 'data');
const pidFile = path.join(state, 'kplex.pid');
const logFile = path.join(state, 'kplex.log');
const dnsFile = path.join(state, 'dns.json');
const port = Number(process.env.KPLEX_PORT ?? 9443);
const metricsListen = process.env.KPLEX_METRICS_LISTEN ?? '127.0.0.1:9090';
// Tenant DNS knows a pod by its source address, so the pods that use it must have addresses this
// machine can send from: one tainted fake node whose podCIDR is loopback. Other nodes keep their
// 10.244 range (loopback endpoints are refused by Endpoints/EndpointSlice validation). Pods reach
// kplex itself on 127.0.0.1 here, so that is what `kubernetes.default.svc` names.
const DNS_NODE = 'kwok-node-dns';
const DNS_POD_CIDR = '127.1.0.0/24';
const DNS_TAINT = DNS_TEST_TAINT;

const usage = `Usage: tsx deploy/local-host/stack.ts <up [--shards N]|down>

  up     build what is missing (host binaries, kplex), start the local host cluster and
         kplex serve on https://127.0.0.1:${port} in the background (logs: .kplex/kplex.log)
         --shards N: N sharded replicas on ports ${port}..${port}+N-1, each its own data dir
         (.kplex/data, .kplex/data-1, ...; logs .kplex/kplex-1.log, ...), one serving CA
  down   stop kplex and the local host; leaves no process behind
Tenant pods' DNS is served on 127.0.0.1 (UDP and TCP; address in .kplex/dns.json) for pods on
node ${DNS_NODE} (pod IPs in ${DNS_POD_CIDR}; tolerate the taint ${DNS_TAINT}).
Prometheus metrics: http://${metricsListen}/metrics.
Environment: KPLEX_PORT (default 9443), KPLEX_DNS_PORT (default: a free port),
KPLEX_METRICS_LISTEN (default 127.0.0.1:9090).`;

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Replica i of a sharded stack (0: the unsharded one's files and port). */
const replicaFile = (base: string, ext: string, i: number): string =>
  path.join(state, i === 0 ? `${base}${ext}` : `${base}-${i}${ext}`);
const shardsFile = path.join(state, 'shards');

function kplexPid(file = pidFile): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8'));
  return pid && running(pid) ? pid : undefined;
}

/** `--shards N` of `up` (0: one unsharded kplex). */
function shardsArg(): number {
  const i = process.argv.indexOf('--shards');
  if (i < 0) return 0;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error('--shards takes a number of 1..64');
  return n;
}

function ready(p = port): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(
      { host: '127.0.0.1', port: p, path: '/readyz', rejectUnauthorized: false, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

async function up(): Promise<void> {
  const t0 = Date.now();
  if (!(await isUp(hostDir))) await startHost({ dir: hostDir });
  else if (!existsSync(webhookClientCA({ dir: hostDir })))
    throw new Error(
      'the running local host has no webhook client CA (an older one): `npm run down`, then `npm run up`',
    );
  else console.log(`local host already running: ${readState(hostDir)?.server}`);
  const shards = shardsArg();
  const runningShards = existsSync(shardsFile) ? Number(readFileSync(shardsFile, 'utf8')) : 0;
  if (kplexPid() && runningShards !== shards)
    throw new Error(
      `kplex runs with ${runningShards || 'no'} shards here; \`npm run down\` first to change to ${shards || 'none'}`,
    );
  if (kplexPid() && (await ready())) {
    console.log(`kplex already running: https://127.0.0.1:${port}`);
  } else if (await ready()) {
    throw new Error(
      `port ${port} is served by a process this checkout did not start; stop it or set KPLEX_PORT`,
    );
  } else {
    console.log('building kplex (tsc)');
    execFileSync(
      process.execPath,
      [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')],
      { stdio: 'inherit' },
    );
    mkdirSync(state, { recursive: true });
    const out = openSync(logFile, 'a');
    const dnsPort = Number(process.env.KPLEX_DNS_PORT ?? (await freePort()));
    const child = spawn(
      process.execPath,
      [
        path.join(root, 'dist/cli/main.js'),
        'serve',
        '--port',
        String(port),
        ...(shards ? ['--shards', String(shards), '--shard', '0'] : []),
        '--data-dir',
        dataDir,
        '--host-kubeconfig',
        path.join(hostDir, 'kubeconfig'),
        '--dns-listen',
        `127.0.0.1:${dnsPort}`,
        '--dns-kubernetes-address',
        '127.0.0.1',
        '--webhook-client-ca',
        webhookClientCA({ dir: hostDir }),
        '--metrics-listen',
        metricsListen,
        // Every tenant request at Metadata level (no policy file), one JSON line each.
        '--audit-log-path',
        path.join(state, 'audit.log'),
      ],
      { cwd: root, detached: true, stdio: ['ignore', out, out] },
    );
    child.unref();
    writeFileSync(pidFile, String(child.pid));
    const deadline = Date.now() + 30_000;
    while (!(await ready()) || !running(child.pid ?? 0)) {
      if (!running(child.pid ?? 0))
        throw new Error(`kplex exited; see ${path.relative(process.cwd(), logFile)}`);
      if (Date.now() > deadline) throw new Error(`kplex not ready after 30s; see ${logFile}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    writeFileSync(dnsFile, JSON.stringify({ address: '127.0.0.1', port: dnsPort }) + '\n');
    writeFileSync(shardsFile, `${shards}\n`);
    console.log(
      `kplex serving on https://127.0.0.1:${port} (logs: ${path.relative(process.cwd(), logFile)}), tenant DNS on 127.0.0.1:${dnsPort}`,
    );
  }
  for (let i = 1; i < shards; i++) await startReplica(i, shards);
  await ensureDnsNode();
  await ensureDemoTenant();
  console.log(`up in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  console.log(`try: KUBECONFIG=${path.relative(process.cwd(), demoKubeconfig)} kubectl get ns`);
  // kplex finds this host by itself only when nothing kubectl would use is configured.
  const host =
    process.env.KUBECONFIG || existsSync(path.join(os.homedir(), '.kube', 'config'))
      ? ` --host-kubeconfig ${path.relative(process.cwd(), path.join(hostDir, 'kubeconfig'))}`
      : '';
  console.log(`more tenants: npx kplex tenant create NAME${host}
              npx kplex kubeconfig NAME${host} --group system:masters > NAME.kubeconfig
              (npx kplex --help; shell completion: source <(npx kplex completion bash))`);
}

/**
 * Sharded replica i (1..shards-1) on port+i: its own data dir with a copy of replica 0's serving
 * CA (one kubeconfig trusts every replica); DNS and metrics are replica 0's.
 */
async function startReplica(i: number, shards: number): Promise<void> {
  const p = port + i;
  const file = replicaFile('kplex', '.pid', i);
  if (kplexPid(file) && (await ready(p)))
    return console.log(`kplex replica ${i} already running: https://127.0.0.1:${p}`);
  if (await ready(p)) throw new Error(`port ${p} is served by a process this checkout did not start`);
  const dir = path.join(state, `data-${i}`);
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(dataDir, 'pki'), path.join(dir, 'pki'), { recursive: true });
  const log = replicaFile('kplex', '.log', i);
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'dist/cli/main.js'),
      'serve',
      '--port',
      String(p),
      '--shards',
      String(shards),
      '--shard',
      String(i),
      '--data-dir',
      dir,
      '--host-kubeconfig',
      path.join(hostDir, 'kubeconfig'),
      '--webhook-client-ca',
      webhookClientCA({ dir: hostDir }),
      '--audit-log-path',
      replicaFile('audit', '.log', i),
    ],
    { cwd: root, detached: true, stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')] },
  );
  child.unref();
  writeFileSync(file, String(child.pid));
  const deadline = Date.now() + 30_000;
  while (!(await ready(p))) {
    if (!running(child.pid ?? 0)) throw new Error(`kplex replica ${i} exited; see ${log}`);
    if (Date.now() > deadline) throw new Error(`kplex replica ${i} not ready after 30s; see ${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(
    `kplex replica ${i} (shard ${i}) serving on https://127.0.0.1:${p} (logs: ${path.relative(process.cwd(), log)})`,
  );
}

/** The fake node whose pods tenant DNS can tell apart by their (loopback) source address. */
async function ensureDnsNode(): Promise<void> {
  const host = readState(hostDir);
  if (!host || (await hostRequest(host, 'GET', `/api/v1/nodes/${DNS_NODE}`)).status === 200) return;
  const res = await hostRequest(host, 'POST', '/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: DNS_NODE,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': DNS_NODE,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    spec: {
      podCIDR: DNS_POD_CIDR,
      podCIDRs: [DNS_POD_CIDR],
      taints: [{ key: DNS_TAINT, value: 'true', effect: 'NoSchedule' }],
    },
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
    },
  });
  if (res.status !== 201 && res.status !== 409)
    throw new Error(`creating node ${DNS_NODE}: ${res.status} ${res.body}`);
}

const demoKubeconfig = path.join(state, 'tenants', 'demo.kubeconfig');

/** The `demo` tenant and its kubeconfig (.kplex/tenants/demo.kubeconfig). */
async function ensureDemoTenant(): Promise<void> {
  const cli = (args: string[]): string =>
    execFileSync(process.execPath, [path.join(root, 'dist/cli/main.js'), ...args], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const hostKubeconfig = path.join(hostDir, 'kubeconfig');
  if (!cli(['tenant', 'list', '--host-kubeconfig', hostKubeconfig]).split('\n').includes('demo')) {
    cli(['tenant', 'create', 'demo', '--host-kubeconfig', hostKubeconfig]);
    console.log('tenant demo created');
  }
  mkdirSync(path.dirname(demoKubeconfig), { recursive: true });
  writeFileSync(
    demoKubeconfig,
    cli([
      'kubeconfig',
      'demo',
      '--data-dir',
      dataDir,
      '--host-kubeconfig',
      hostKubeconfig,
      '--server',
      `https://127.0.0.1:${port}`,
      '--group',
      'system:masters',
    ]),
    { mode: 0o600 },
  );
}

async function down(): Promise<void> {
  const shards = existsSync(shardsFile) ? Number(readFileSync(shardsFile, 'utf8')) : 0;
  for (let i = Math.max(1, shards) - 1; i >= 0; i--) {
    const file = replicaFile('kplex', '.pid', i);
    const pid = kplexPid(file);
    if (pid) {
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 20_000;
      while (running(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (running(pid)) process.kill(pid, 'SIGKILL');
      console.log(i ? `kplex replica ${i} stopped` : 'kplex stopped');
    }
    rmSync(file, { force: true });
  }
  rmSync(shardsFile, { force: true });
  rmSync(dnsFile, { force: true });
  console.log((await stopHost(hostDir)) ? 'local host stopped' : 'local host was not running');
}

const cmd = process.argv[2];
const run = cmd === 'up' ? up : cmd === 'down' ? down : undefined;
if (!run) {
  console.log(usage);
  process.exit(cmd === '--help' || cmd === '-h' ? 0 : 2);
}
run().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`kplex stack: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
