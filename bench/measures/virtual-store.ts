// 2. Virtual store: custom resources of a tenant CRD (kplex's per-tenant SQLite) vs the same CRD
// and objects on the host (etcd-backed), interleaved.
import { performance } from 'node:perf_hooks';
import { call, must, openWatch, type Target, type WatchEvent } from '../lib/api.js';
import type { Context } from '../lib/context.js';
import { pool, sideBySide } from '../lib/interleave.js';
import { sleep } from '../lib/proc.js';
import { latencyEntry, type Entry } from '../lib/report.js';

const GROUP = 'bench.kplex.io';
const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  size: { type: 'integer', minimum: 0 },
                  color: { type: 'string' },
                  labels: { type: 'object', additionalProperties: { type: 'string' } },
                },
              },
              status: { type: 'object', properties: { ready: { type: 'boolean' } } },
            },
          },
        },
      },
    ],
  },
};
const widget = (name: string) => ({
  apiVersion: `${GROUP}/v1`,
  kind: 'Widget',
  metadata: { name, labels: { app: 'bench' } },
  spec: { size: 3, color: 'blue', labels: { a: 'b', c: 'd' } },
});
const base = (ns: string) => `/apis/${GROUP}/v1/namespaces/${ns}/widgets`;

async function installCRD(t: Target, ns: string[]): Promise<void> {
  await must(t, 'POST', CRD_PATH, crd, [409]);
  const end = Date.now() + 60_000;
  for (;;) {
    const got = await must<{ status?: { conditions?: { type: string; status: string }[] } }>(
      t,
      'GET',
      `${CRD_PATH}/${crd.metadata.name}`,
    );
    const established = got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    if (established && (await call(t, 'GET', base('default'))).status === 200) break;
    if (Date.now() > end) throw new Error(`CRD not served on ${t.base || 'host'} after 60 s`);
    await sleep(100);
  }
  for (const n of ns)
    await must(
      t,
      'POST',
      '/api/v1/namespaces',
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } },
      [409],
    );
}

export async function virtualStore(ctx: Context): Promise<Entry[]> {
  const { stack, log } = ctx;
  await stack.createTenantObject('bench');
  const k = await stack.tenant('bench');
  await stack.waitServed(k);
  const h = stack.hostApi;
  const sides: { t: Target; ns: (n: string) => string }[] = [
    { t: k, ns: (n) => `vs-${n}` },
    { t: h, ns: (n) => `direct-vs-${n}` },
  ];
  log('  installing the Widget CRD on both sides, 100 widgets each');
  for (const s of sides) {
    await installCRD(s.t, [s.ns('rw'), s.ns('l100')]);
    await pool(
      Array.from({ length: 100 }, (_, i) => `w-${i}`),
      16,
      async (name) => void (await must(s.t, 'POST', base(s.ns('l100')), widget(name), [409])),
    );
  }
  const [K, H] = sides as [(typeof sides)[0], (typeof sides)[0]];
  const n = ctx.quick ? 40 : 300;
  const both = sideBySide(K, H, log);
  const ok = async (p: Promise<{ status: number; text: string }>, want: number) => {
    const r = await p;
    if (r.status !== want) throw new Error(`unexpected ${r.status}: ${r.text.slice(0, 200)}`);
    return r;
  };
  const create = await both('CREATE widget', n, (s, i) =>
    ok(call(s.t, 'POST', base(s.ns('rw')), widget(`c-${i}`)), 201),
  );
  const get = await both('GET widget', n, (s) => ok(call(s.t, 'GET', `${base(s.ns('l100'))}/w-0`), 200));
  const list = await both('LIST 100 widgets', ctx.quick ? 20 : 100, (s) =>
    ok(call(s.t, 'GET', base(s.ns('l100'))), 200),
  );
  const waiting = new Map<string, (at: number) => void>();
  const watches = sides.map((s) =>
    openWatch(s.t, `${base(s.ns('rw'))}?watch=1&allowWatchBookmarks=false`, (e: WatchEvent, at) => {
      if (e.type === 'ADDED') waiting.get(`${s.t.base}/${e.object.metadata?.name}`)?.(at);
    }),
  );
  for (const w of watches) await w.ready;
  const watch = await both('watch event delivery (create→ADDED)', n, async (s, i) => {
    const key = `${s.t.base}/e-${i}`;
    const seen = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no event for ${key}`)), 10_000);
      waiting.set(key, (at) => (clearTimeout(timer), resolve(at)));
    });
    const t0 = performance.now();
    await ok(call(s.t, 'POST', base(s.ns('rw')), widget(`e-${i}`)), 201);
    const ms = (await seen) - t0;
    waiting.delete(key);
    return ms;
  });
  for (const w of watches) w.stop();
  const goal = 'kplex ≥ 2× faster (p50 ratio ≤ 0.5)';
  return [
    latencyEntry('virtual store CREATE custom resource', create.kplex, create.host, 0.5, goal),
    latencyEntry('virtual store GET custom resource', get.kplex, get.host, 0.5, goal),
    latencyEntry('virtual store LIST 100 custom resources', list.kplex, list.host, 0.5, goal),
    latencyEntry('virtual store watch delivery (create→event)', watch.kplex, watch.host, 0.5, goal),
  ];
}
