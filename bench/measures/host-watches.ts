// 7. Shared host watches: N tenants × 10 `-A` pod watches (kubectl get pods -A -w) are served from
// ONE host watch of pods (src/hostwatch), not one per tenant namespace and watcher. Measured: the
// host watches they add (the host's own metric), event delivery from a pod created through kplex
// to every watcher of its tenant, and kplex's RSS per watch.
import { performance } from 'node:perf_hooks';
import { call, makeAgent, must, openWatch, type Target, type WatchHandle } from '../lib/api.js';
import type { Context } from '../lib/context.js';
import { pool } from '../lib/interleave.js';
import { hostWatchCount, rssBytes, sleep } from '../lib/proc.js';
import { latencyEntry, valueEntry, type Entry } from '../lib/report.js';
import { summarize } from '../lib/stats.js';
import { ensureServedTenants, tenantName } from '../lib/tenants.js';

const WATCHES_PER_TENANT = 10;
const POD = 'hw-bench';

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: POD, labels: { bench: 'host-watches' } },
  spec: { containers: [{ name: 'app', image: 'busybox' }] },
};

export async function hostWatches(ctx: Context): Promise<Entry[]> {
  const { stack, log } = ctx;
  const tenants = ctx.quick ? 100 : 1000;
  await ensureServedTenants(ctx, tenants);
  const before = { watches: await hostWatchCount(stack.hostApi), rss: rssBytes(stack.kplexPid) };
  const agent = makeAgent({ ca: stack.kplexCA });
  const sent = new Map<string, number>();
  const answered = new Map<string, number>();
  const latencies: number[] = [];
  /** Event arrival after the create's answer (0 when it came first): the cache's part of the delivery. */
  const afterAnswer: { name: string; at: number }[] = [];
  const creates: number[] = [];
  const handles: WatchHandle[] = [];
  const targets: Target[] = [];
  log(
    `  opening ${tenants * WATCHES_PER_TENANT} -A pod watches (${tenants} tenants × ${WATCHES_PER_TENANT})`,
  );
  const t0 = performance.now();
  await pool(
    Array.from({ length: tenants }, (_, i) => tenantName(i)),
    32,
    async (name, i) => {
      const t = await stack.tenant(name, agent);
      targets[i] = t;
      // as kubectl get pods -A -w: a list, then watches from its version
      const list = await must<{ metadata: { resourceVersion: string } }>(t, 'GET', '/api/v1/pods?limit=500');
      for (let w = 0; w < WATCHES_PER_TENANT; w++) {
        const h = openWatch(
          t,
          `/api/v1/pods?watch=1&resourceVersion=${list.metadata.resourceVersion}`,
          (e, at) => {
            const start = sent.get(name);
            if (e.type === 'ADDED' && e.object.metadata?.name === POD && start !== undefined) {
              latencies.push(at - start);
              afterAnswer.push({ name, at });
            }
          },
        );
        handles.push(h);
        await h.ready;
      }
    },
  );
  log(`  ${handles.length} watches open in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const during = { watches: await hostWatchCount(stack.hostApi), rss: rssBytes(stack.kplexPid) };
  const expected = tenants * WATCHES_PER_TENANT;
  await pool(targets, 4, async (t, i) => {
    const t0 = performance.now();
    sent.set(tenantName(i), t0);
    await must(t, 'POST', '/api/v1/namespaces/default/pods', pod);
    answered.set(tenantName(i), performance.now());
    creates.push(performance.now() - t0);
  });
  const end = Date.now() + 60_000;
  while (latencies.length < expected && Date.now() < end) await sleep(100);
  for (const h of handles) h.stop();
  await agent.destroy().catch(() => undefined);
  await pool(targets, 8, async (_, i) => {
    const t = await stack.tenant(tenantName(i));
    await call(t, 'DELETE', `/api/v1/namespaces/default/pods/${POD}?gracePeriodSeconds=0`);
  });
  const missing = expected - latencies.length;
  const added = during.watches - before.watches;
  log(`  delivered ${latencies.length}/${expected}; host watches ${before.watches}→${during.watches}`);
  if (missing > 0)
    ctx.notes.push(
      `Shared host watches: ${missing} of ${expected} pod ADDED events never arrived within 60 s.`,
    );
  ctx.notes.push(
    'Shared host watches: each tenant lists pods -A then opens 10 watches from the list’s version (kubectl get pods -A -w); one pod created per tenant through kplex (pod webhook), 4 in flight; latency = create sent → ADDED received by each of the tenant’s watchers; it includes the pod create itself (the host calls kplex’s pod webhook before it commits), reported beside it, and the arrival after the create’s answer. Host watches = sum of the host’s apiserver_longrunning_requests{verb="WATCH"}, all clients.',
  );
  const label = `${tenants.toLocaleString('en')} tenants × ${WATCHES_PER_TENANT} -A pod watches`;
  const delivery = latencyEntry(
    `host watches: pod event delivery, ${label}`,
    summarize(latencies),
    undefined,
  );
  delivery.goal = 'p99 ≤ 200 ms, every event delivered';
  delivery.met = summarize(latencies).p99 <= 200 && missing === 0;
  const late = afterAnswer.map(({ name, at }) => Math.max(0, at - (answered.get(name) ?? at)));
  return [
    delivery,
    latencyEntry(
      `host watches: pod create through kplex (before its event can exist), ${label}`,
      summarize(creates),
      undefined,
    ),
    valueEntry(
      `host watches: event arrival after the create's answer, p99 (0: before it), ${label}`,
      'ms',
      summarize(late).p99,
    ),
    valueEntry(
      `host watches: host watches added by ${label}`,
      'watches',
      added,
      '≤ 1 (the number of resource types watched)',
      added <= 1,
    ),
    valueEntry(
      `host watches: kplex RSS per -A pod watch`,
      'KiB',
      Math.round((during.rss - before.rss) / 1024 / handles.length),
    ),
  ];
}
