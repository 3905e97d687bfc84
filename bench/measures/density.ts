// 3. Density: kplex's RSS and open descriptors with 0, 1,000 and 10,000 idle tenants (each served
// one request, then its store handle closed by the pool's idle sweep), bytes per idle tenant, and
// tenant creation latency (Tenant object created on the host → endpoint answers a request).
import { performance } from 'node:perf_hooks';
import { LABEL_MANAGED_BY } from '../../src/rewrite/namespace-translator.js';
import { must } from '../lib/api.js';
import type { Context } from '../lib/context.js';
import { fdCount, rssBytes, sleep, sqliteFds } from '../lib/proc.js';
import { latencyEntry, unavailable, valueEntry, type Entry } from '../lib/report.js';
import { summarize } from '../lib/stats.js';
import { ensureServedTenants, tenantName } from '../lib/tenants.js';

/**
 * Host namespaces kplex made so far (seeding a tenant makes one per default namespace, in the
 * background). Paged metadata-only lists: the apiserver gives no remainingItemCount with a selector.
 */
async function hostNamespaceCount(ctx: Context): Promise<number> {
  const sel = encodeURIComponent(`${LABEL_MANAGED_BY}=kplex`);
  const accept = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
  let n = 0;
  let cont = '';
  do {
    const page = await must<{ items: unknown[]; metadata: { continue?: string } }>(
      { ...ctx.stack.hostApi, accept },
      'GET',
      `/api/v1/namespaces?labelSelector=${sel}&limit=1000${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
    );
    n += page.items.length;
    cont = page.metadata.continue ?? '';
  } while (cont);
  return n;
}

/**
 * Waits until kplex holds no tenant database open. The idle sweep closes handles unused for 60 s,
 * but recording each new host namespace touches the tenant's store, so at 10,000 tenants the
 * sweep can only finish once the background creation of their host namespaces has drained.
 */
async function waitIdle(ctx: Context): Promise<number> {
  const t0 = performance.now();
  const pid = ctx.stack.kplexPid;
  let lastLog = 0;
  while (sqliteFds(pid) > 0) {
    if (performance.now() - lastLog > 15_000) {
      lastLog = performance.now();
      ctx.log(`  waiting for the idle sweep: ${sqliteFds(pid)} descriptors on tenant databases`);
    }
    if (performance.now() - t0 > 600_000)
      throw new Error(`store handles still open after 600 s (${sqliteFds(pid)} descriptors)`);
    await sleep(2000);
  }
  return (performance.now() - t0) / 1000;
}

/** RSS settles after a burst (GC, freed buffers): the smallest of a few samples a second apart. */
async function settledRss(pid: number): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < 5; i++) {
    min = Math.min(min, rssBytes(pid));
    await sleep(1000);
  }
  return min;
}

export async function density(ctx: Context): Promise<Entry[]> {
  const { stack, log } = ctx;
  const pid = stack.kplexPid;
  const levels = ctx.quick ? [1000] : [1000, 10_000];
  const entries: Entry[] = [
    valueEntry('density: kplex RSS, 0 tenants', 'MiB', ctx.baseline.rss / 2 ** 20),
    valueEntry('density: kplex open fds, 0 tenants', 'fds', ctx.baseline.fds),
  ];

  // Tenant creation latency, one at a time so each measures the path alone.
  const sample = ctx.quick ? 50 : 200;
  log(`  tenant creation latency over ${sample} new tenants`);
  const creation: number[] = [];
  for (let i = 0; i < sample; i++) {
    const name = tenantName(i);
    if (ctx.served.has(name)) continue;
    const t0 = performance.now();
    await stack.createTenantObject(name);
    // The token names the new Tenant's UID, so it is minted after the create; its signing is not kplex's time.
    const m0 = performance.now();
    const t = await stack.tenant(name);
    const minting = performance.now() - m0;
    creation.push((await stack.waitServed(t, 30_000)) - t0 - minting);
    ctx.served.add(name);
  }
  const c = summarize(creation);
  entries.push(latencyEntry('tenant creation (Tenant created → endpoint answers)', c, undefined));
  const creationEntry = entries.at(-1)!;
  creationEntry.goal = 'p50 ≤ 20 ms';
  creationEntry.met = c.p50 <= 20;

  const rss = new Map<number, number>();
  for (const level of levels) {
    log(`  ${level} tenants: creating and serving`);
    let waited: number;
    try {
      await ensureServedTenants(ctx, level);
      waited = await waitIdle(ctx);
    } catch (err) {
      // Keep what was measured so far (creation latency, smaller levels).
      const msg = err instanceof Error ? err.message : String(err);
      log(`  FAILED at ${level} tenants: ${msg}`);
      entries.push(unavailable(`density at ${level} tenants`, msg));
      return entries;
    }
    const r = await settledRss(pid);
    rss.set(level, r);
    const fds = fdCount(pid);
    log(
      `  ${level} idle tenants (sweep took ${waited.toFixed(0)} s): RSS ${(r / 2 ** 20).toFixed(1)} MiB, ${fds} fds`,
    );
    entries.push(
      valueEntry(`density: kplex RSS, ${level.toLocaleString('en')} idle tenants`, 'MiB', r / 2 ** 20),
    );
    entries.push(
      valueEntry(`density: kplex open fds, ${level.toLocaleString('en')} idle tenants`, 'fds', fds),
    );
    entries.push(
      valueEntry(
        `density: host namespaces kplex made for ${level.toLocaleString('en')} tenants`,
        'namespaces',
        await hostNamespaceCount(ctx).catch(() => NaN), // informational: never fails the measure
      ),
    );
  }
  // Bytes per idle tenant: the slope between the two largest levels (start-up and warm-up costs
  // cancel out); with one level, against the empty process (an upper bound).
  const [lo, hi] = levels.length > 1 ? [levels.at(-2)!, levels.at(-1)!] : [0, levels[0]!];
  const loRss = lo === 0 ? ctx.baseline.rss : rss.get(lo)!;
  const perTenantKB = (rss.get(hi)! - loRss) / (hi - lo) / 1024;
  ctx.notes.push(
    `RSS per idle tenant = (RSS at ${hi} − RSS at ${lo} tenants) / ${hi - lo}; RSS is the lowest of 5 samples 1 s apart after the idle sweep closed every store handle.`,
  );
  entries.push(
    valueEntry(
      `density: RSS per idle tenant (${lo}→${hi} tenants)`,
      'KB',
      perTenantKB,
      `≤ 50 KB at ${levels.at(-1)!.toLocaleString('en')} tenants`,
      perTenantKB <= 50,
    ),
  );
  return entries;
}
