// 4. Watch fan-out: 1,000 tenants × 10 watches on a virtual resource (ClusterRoles with a label),
// event delivery latency from write to every watcher, and what it costs on the host side: the
// watches the host serves (its own metric) and kplex's TCP connections to it, before and during.
import { performance } from 'node:perf_hooks';
import { call, makeAgent, must, openWatch, type Target, type WatchHandle } from '../lib/api.js';
import type { Context } from '../lib/context.js';
import { pool } from '../lib/interleave.js';
import { connectionsTo, fdCount, hostWatchCount, rssBytes, sleep } from '../lib/proc.js';
import { latencyEntry, valueEntry, type Entry } from '../lib/report.js';
import { summarize } from '../lib/stats.js';
import { ensureServedTenants, tenantName } from '../lib/tenants.js';

const WATCHES_PER_TENANT = 10;
const PATH = '/apis/rbac.authorization.k8s.io/v1/clusterroles';
const SELECTOR = 'labelSelector=bench%3Dfanout';

export async function fanout(ctx: Context): Promise<Entry[]> {
  const { stack, log } = ctx;
  const tenants = ctx.quick ? 100 : 1000;
  const rounds = 3;
  await ensureServedTenants(ctx, tenants);
  const hostPort = Number(new URL(stack.host.server).port);
  const before = {
    watches: await hostWatchCount(stack.hostApi),
    conns: connectionsTo(stack.kplexPid, hostPort),
  };
  // One connection per watch, as client-go over HTTP/1.1 would hold.
  const agent = makeAgent({ ca: stack.kplexCA });
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  let unexpected = 0;
  const handles: WatchHandle[] = [];
  const targets: Target[] = [];
  log(`  opening ${tenants * WATCHES_PER_TENANT} watches (${tenants} tenants × ${WATCHES_PER_TENANT})`);
  const t0 = performance.now();
  const step = Math.max(1, (tenants * WATCHES_PER_TENANT) / 5);
  let opened = 0;
  await pool(
    Array.from({ length: tenants }, (_, i) => tenantName(i)),
    32,
    async (name, i) => {
      const t = await stack.tenant(name, agent);
      targets[i] = t;
      const list = await must<{ metadata: { resourceVersion: string } }>(
        t,
        'GET',
        `${PATH}?${SELECTOR}&limit=1`,
      );
      for (let w = 0; w < WATCHES_PER_TENANT; w++) {
        const h = openWatch(
          t,
          `${PATH}?watch=1&${SELECTOR}&resourceVersion=${list.metadata.resourceVersion}&allowWatchBookmarks=false`,
          (e, at) => {
            const start = sent.get(`${name}/${e.object.metadata?.name}`);
            if (e.type === 'ADDED' && start !== undefined) latencies.push(at - start);
            else unexpected++;
          },
        );
        handles.push(h);
        await h.ready;
        if (++opened % step === 0)
          log(`  ${opened} watches open (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      }
      log(`  ${handles.length} watches open (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    },
  );
  const expected = tenants * WATCHES_PER_TENANT * rounds;
  for (let round = 0; round < rounds; round++) {
    await pool(targets, 4, async (t, i) => {
      const name = `fanout-${round}`;
      sent.set(`${tenantName(i)}/${name}`, performance.now());
      await must(t, 'POST', PATH, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name, labels: { bench: 'fanout' } },
        rules: [],
      });
    });
    log(
      `  round ${round + 1}/${rounds}: ${tenants} writes sent, ${latencies.length}/${expected} deliveries so far`,
    );
  }
  const end = Date.now() + 30_000;
  while (latencies.length < expected && Date.now() < end) await sleep(100);
  const during = {
    watches: await hostWatchCount(stack.hostApi),
    conns: connectionsTo(stack.kplexPid, hostPort),
    rss: rssBytes(stack.kplexPid),
    fds: fdCount(stack.kplexPid),
  };
  for (const h of handles) h.stop();
  await agent.destroy().catch(() => undefined); // close() would wait for 10,000 streams to drain
  // Clean up (on the shared pool) so a later run against the same tenants starts from nothing.
  await pool(targets, 8, async (_, i) => {
    const t = await stack.tenant(tenantName(i));
    for (let round = 0; round < rounds; round++) await call(t, 'DELETE', `${PATH}/fanout-${round}`);
  });
  const missing = expected - latencies.length;
  log(
    `  delivered ${latencies.length}/${expected}; host watches ${before.watches}→${during.watches}, kplex→host connections ${before.conns}→${during.conns}`,
  );
  if (missing > 0 || unexpected > 0)
    ctx.notes.push(
      `Fan-out: ${missing} of ${expected} expected events never arrived within 30 s; ${unexpected} unexpected events.`,
    );
  const s = summarize(latencies);
  const label = `${tenants.toLocaleString('en')} tenants × ${WATCHES_PER_TENANT} watches`;
  const delivery = latencyEntry(`fan-out: event delivery, ${label}`, s, undefined);
  delivery.goal = 'p99 ≤ 200 ms, every event delivered';
  delivery.met = s.p99 <= 200 && missing === 0;
  const added = during.watches - before.watches;
  ctx.notes.push(
    `Fan-out: writes are ClusterRole creations (virtual, RBAC) at 4 in flight, ${rounds} rounds; latency = write sent → event received by each watcher (one HTTP/1.1 connection per watch). Host watches = sum of the host's apiserver_longrunning_requests{verb="WATCH"}, all clients.`,
  );
  return [
    delivery,
    valueEntry(
      `fan-out: host watches added by ${label}`,
      'watches',
      added,
      '0: host watches do not grow with tenants × namespaces',
      added <= 0,
    ),
    valueEntry('fan-out: kplex→host TCP connections during fan-out', 'connections', during.conns),
    valueEntry(`fan-out: kplex RSS with ${label}`, 'MiB', during.rss / 2 ** 20),
    valueEntry(`fan-out: kplex open fds with ${label}`, 'fds', during.fds),
  ];
}
