// 1. Overhead on host-backed kinds: configmaps through a kplex tenant (passthrough to the tenant's
// host namespace) vs the same requests straight to the host, interleaved.
import { performance } from 'node:perf_hooks';
import { call, must, openWatch, type Target, type WatchEvent } from '../lib/api.js';
import type { Context } from '../lib/context.js';
import { pool, sideBySide } from '../lib/interleave.js';
import { sleep } from '../lib/proc.js';
import { latencyEntry, unavailable, type Entry } from '../lib/report.js';

const NAME = 'host-backed';
const payload = 'x'.repeat(256);
const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { payload } });

/** A namespace on one side, ready for configmaps (a tenant's host namespace is made on demand). */
async function namespace(t: Target, ns: string): Promise<void> {
  await must(
    t,
    'POST',
    '/api/v1/namespaces',
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    [409],
  );
  const end = Date.now() + 30_000;
  for (;;) {
    const r = await call(t, 'POST', `/api/v1/namespaces/${ns}/configmaps`, cm('probe'));
    if (r.status === 201 || r.status === 409) break;
    if (Date.now() > end)
      throw new Error(`configmaps in ${t.base}/${ns}: ${r.status} ${r.text.slice(0, 200)}`);
    await sleep(100);
  }
  await call(t, 'DELETE', `/api/v1/namespaces/${ns}/configmaps/probe`);
}

async function fill(t: Target, ns: string, n: number): Promise<void> {
  await pool(
    Array.from({ length: n }, (_, i) => `cm-${i}`),
    16,
    async (name) => void (await must(t, 'POST', `/api/v1/namespaces/${ns}/configmaps`, cm(name), [409])),
  );
}

/** Write-to-event latency: the clock starts before the create is sent, stops when the watch sees it. */
class WatchClock {
  private readonly waiting = new Map<string, (at: number) => void>();
  constructor(t: Target, path: string) {
    this.handle = openWatch(t, path, (e: WatchEvent, at) => {
      if (e.type === 'ADDED') this.waiting.get(e.object.metadata?.name ?? '')?.(at);
    });
  }
  readonly handle: ReturnType<typeof openWatch>;
  async measure(name: string, write: () => Promise<unknown>): Promise<number> {
    const seen = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no watch event for ${name} within 10 s`)), 10_000);
      this.waiting.set(name, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
    const t0 = performance.now();
    await write();
    const at = await seen;
    this.waiting.delete(name);
    return at - t0;
  }
}

export async function hostBacked(ctx: Context): Promise<Entry[]> {
  const { stack, log } = ctx;
  const tenantName = 'bench';
  await stack.createTenantObject(tenantName);
  const k = await stack.tenant(tenantName);
  await stack.waitServed(k);
  const probe = await call(k, 'GET', '/api/v1/namespaces/default/configmaps');
  if (probe.status !== 200)
    return [unavailable(NAME, `host passthrough missing (GET configmaps through kplex: ${probe.status})`)];
  const h = stack.hostApi;
  const side = (t: Target, prefix: string) => ({ t, ns: (n: string) => `${prefix}${n}` });
  const sides = [side(k, 'hb-'), side(h, 'direct-hb-')];
  log('  preparing namespaces and 1,101 configmaps per side');
  for (const s of sides) {
    for (const n of ['get', 'l100', 'l1000', 'rw']) await namespace(s.t, s.ns(n));
    await fill(s.t, s.ns('get'), 1);
    await fill(s.t, s.ns('l100'), 100);
    await fill(s.t, s.ns('l1000'), 1000);
  }
  const n = ctx.quick ? 40 : 300;
  const nList = ctx.quick ? 20 : 100;
  const [K, H] = sides as [ReturnType<typeof side>, ReturnType<typeof side>];
  const both = sideBySide(K, H, log);
  const ok = async (p: Promise<{ status: number; text: string }>, want: number[]) => {
    const r = await p;
    if (!want.includes(r.status)) throw new Error(`unexpected ${r.status}: ${r.text.slice(0, 200)}`);
    return r;
  };
  const get = await both('GET configmap', n, (s) =>
    ok(call(s.t, 'GET', `/api/v1/namespaces/${s.ns('get')}/configmaps/cm-0`), [200]),
  );
  const l100 = await both('LIST 100 configmaps', nList, (s) =>
    ok(call(s.t, 'GET', `/api/v1/namespaces/${s.ns('l100')}/configmaps`), [200]),
  );
  const l1000 = await both('LIST 1,000 configmaps', nList, (s) =>
    ok(call(s.t, 'GET', `/api/v1/namespaces/${s.ns('l1000')}/configmaps`), [200]),
  );
  const rw = (s: typeof K) => `/api/v1/namespaces/${s.ns('rw')}/configmaps`;
  const created = new Map<string, string>();
  const create = await both('CREATE configmap', n, async (s, i) => {
    const r = await ok(call(s.t, 'POST', rw(s), cm(`c-${i}`)), [201]);
    created.set(`${s.t.base}/${i}`, r.text);
  });
  const update = await both('UPDATE configmap', n, async (s, i) => {
    const obj = JSON.parse(created.get(`${s.t.base}/${i}`)!) as { data: Record<string, string> };
    obj.data.payload = 'y'.repeat(256);
    return ok(call(s.t, 'PUT', `${rw(s)}/c-${i}`, obj), [200]);
  });
  const del = await both('DELETE configmap', n, (s, i) => ok(call(s.t, 'DELETE', `${rw(s)}/c-${i}`), [200]));
  const clocks = new Map(
    sides.map((s) => [s, new WatchClock(s.t, `${rw(s)}?watch=1&allowWatchBookmarks=false`)]),
  );
  for (const c of clocks.values()) await c.handle.ready;
  const watch = await both('watch event delivery (create→ADDED)', n, async (s, i) => {
    const ms = await clocks
      .get(s)!
      .measure(`w-${i}`, () => ok(call(s.t, 'POST', rw(s), cm(`w-${i}`)), [201]));
    await call(s.t, 'DELETE', `${rw(s)}/w-${i}`);
    return ms;
  });
  for (const c of clocks.values()) c.handle.stop();
  return [
    latencyEntry('host-backed GET configmap', get.kplex, get.host, 1.3),
    latencyEntry('host-backed LIST 100 configmaps', l100.kplex, l100.host),
    latencyEntry('host-backed LIST 1,000 configmaps', l1000.kplex, l1000.host, 1.5),
    latencyEntry('host-backed CREATE configmap', create.kplex, create.host, 1.3),
    latencyEntry('host-backed UPDATE configmap', update.kplex, update.host),
    latencyEntry('host-backed DELETE configmap', del.kplex, del.host),
    latencyEntry('host-backed watch delivery (create→event)', watch.kplex, watch.host),
  ];
}
