// Tenant DNS cost: heap per tenant of the DNS index and query latency over real UDP with N
// tenants. `npx tsx --expose-gc bench/dns.ts [N ...]` (default 1000 10000). Each tenant has 2
// namespaces, 4 Services (one headless) and 4 pods, fed as host objects through the informers'
// trim functions. The server runs on this thread; the asking pods (sequential queries, each from
// its pod's loopback IP) run on a worker thread, so the heap figure is the server's alone.
import { Worker } from 'node:worker_threads';
import dnsPacket from 'dns-packet';
import { pino } from 'pino';
import type { KubeObject } from '../src/api/object.js';
import { DnsIndex } from '../src/dns/dns-index.js';
import { trimNamespace, trimPod, trimService } from '../src/dns/dns-objects.js';
import { DnsResolver } from '../src/dns/dns-resolver.js';
import { DnsServer } from '../src/dns/dns-server.js';
import { percentile } from './lib/stats.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`Usage: npx tsx --expose-gc bench/dns.ts [N ...]

Tenant DNS cost with N tenants (default 1000 10000): heap per tenant of the DNS index and query
latency over real UDP.`);
  process.exit(0);
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with: npx tsx --expose-gc bench/dns.ts');

const ipOf = (c: number): string => `127.${2 + (c >> 16)}.${(c >> 8) & 255}.${c & 255}`;
const ADDED = 'ADDED' as const;

function fill(index: DnsIndex, tenants: number): string[] {
  const clients: string[] = [];
  let c = 0;
  let svcIp = 0;
  for (let t = 0; t < tenants; t++) {
    const uid = `00000000-0000-4000-8000-${String(t).padStart(12, '0')}`;
    for (const vns of ['web', 'db']) {
      const labels = {
        'kplex.io/tenant': `t${t}`,
        'kplex.io/tenant-uid': uid,
        'kplex.io/namespace': vns,
        'app.kubernetes.io/managed-by': 'kplex',
      };
      index.onNamespace({
        type: ADDED,
        object: trimNamespace({ metadata: { name: `t${t}-${vns}`, labels } }),
      });
    }
    const svc = (ns: string, name: string, headless: boolean): KubeObject => {
      const ip = headless ? 'None' : `10.${96 + (svcIp >> 16)}.${(svcIp >> 8) & 255}.${svcIp++ & 255}`;
      return {
        metadata: { name, namespace: `t${t}-${ns}`, uid: 'x', resourceVersion: '1' },
        spec: {
          clusterIP: ip,
          clusterIPs: [ip],
          type: 'ClusterIP',
          selector: { app: name },
          ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
          sessionAffinity: 'None',
        },
      };
    };
    for (const [ns, name, headless] of [
      ['web', 'redis', false],
      ['web', 'api', false],
      ['db', 'pg', true],
      ['db', 'cache', false],
    ] as const)
      index.onService({ type: ADDED, object: trimService(svc(ns, name, headless)) });
    const pod = (ns: string, name: string, app: string, extra: Record<string, unknown> = {}): KubeObject => {
      const ip = ipOf(c++);
      return {
        metadata: {
          name,
          namespace: `t${t}-${ns}`,
          labels: { app, 'pod-template-hash': 'abcdef' },
          uid: 'x',
          resourceVersion: '1',
        },
        spec: { containers: [{ name: 'c', image: 'busybox' }], nodeName: 'kwok-node-0', ...extra },
        status: {
          phase: 'Running',
          podIP: ip,
          podIPs: [{ ip }],
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      };
    };
    const client = pod('web', 'client', 'client');
    clients.push((client['status'] as { podIP: string }).podIP);
    for (const p of [
      client,
      pod('web', 'api-0', 'api'),
      pod('db', 'pg-0', 'pg', { hostname: 'pg-0', subdomain: 'pg' }),
      pod('db', 'pg-1', 'pg', { hostname: 'pg-1', subdomain: 'pg' }),
    ])
      index.onPod({ type: ADDED, object: trimPod(p) });
  }
  return clients;
}

const NAMES = [
  'redis.web.svc.cluster.local',
  'pg.db.svc.cluster.local',
  'pg-1.pg.db.svc.cluster.local',
  'redis.web.web.svc.cluster.local',
  'nosuch.db.svc.cluster.local',
];

const ASKER = `
const { parentPort, workerData } = require('node:worker_threads');
const dgram = require('node:dgram');
(async () => {
  const { port, sources, packets, rounds } = workerData;
  const lat = [];
  for (let r = 0; r < rounds; r++) {
    const source = sources[r % sources.length];
    const sock = dgram.createSocket('udp4');
    await new Promise((res) => sock.bind(0, source, res));
    for (const p of packets) {
      const t0 = process.hrtime.bigint();
      await new Promise((res) => { sock.once('message', res); sock.send(Buffer.from(p), port, '127.0.0.1'); });
      lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    sock.close();
  }
  parentPort.postMessage(lat);
})();
`;

async function run(tenants: number): Promise<void> {
  gc!();
  const before = process.memoryUsage().heapUsed;
  const index = new DnsIndex();
  const clients = fill(index, tenants);
  gc!();
  const heap = process.memoryUsage().heapUsed - before;
  // A budget no benchmark reaches: the figure is the answer path, not the limiter.
  const server = new DnsServer({
    index,
    resolver: new DnsResolver(index),
    logger: pino({ level: 'silent' }),
    queriesPerSecond: 1e9,
    queriesPerTenant: 1e9,
  });
  const { port } = await server.listen('127.0.0.1', 0);
  const packets = NAMES.map((name) =>
    dnsPacket.encode({
      type: 'query',
      id: 1,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name, class: 'IN' }],
    }),
  );
  const sources = Array.from({ length: 400 }, (_, i) => clients[Math.floor((i * clients.length) / 400)]!);
  const ask = (rounds: number) =>
    new Promise<number[]>((resolve, reject) => {
      const w = new Worker(ASKER, {
        eval: true,
        workerData: { port, sources, packets: packets.map((p) => new Uint8Array(p)), rounds },
      });
      w.once('message', (m: number[]) => void w.terminate().then(() => resolve(m)));
      w.once('error', reject);
    });
  await ask(100); // warm-up
  const lat = await ask(sources.length * 2);
  await server.close();
  const f = (v: number) => v.toFixed(3);
  console.log(
    JSON.stringify({
      tenants,
      ...index.stats(),
      heapMiB: +(heap / 2 ** 20).toFixed(1),
      bytesPerTenant: Math.round(heap / tenants),
      queries: lat.length,
      p50ms: f(percentile(lat, 50)),
      p99ms: f(percentile(lat, 99)),
    }),
  );
}

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
for (const n of sizes.length ? sizes : [1000, 10000]) await run(n);
