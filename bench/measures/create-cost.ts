// 5. Create cost vs size (issue 19): the p50 of a create when the tenant already has 100 objects
// of that kind and when it has 10,000. A write that rebuilds or scans what the tenant has shows
// up as a ratio far above 1; the goal is <= 1.5 for each kind. Two tenants (one per size) are
// probed alternately, so the shared machine's noise lands on both sides.
import { call, must, type Target } from '../lib/api.js';
import type { Context } from '../lib/context.js';
import { interleave, pool } from '../lib/interleave.js';
import { sleep } from '../lib/proc.js';
import { round, summarize } from '../lib/stats.js';
import type { Entry } from '../lib/report.js';
import { TENANT_GROUP, TENANT_VERSION, TENANTS_PATH } from '../../src/tenancy/tenant-crd.js';

const GOAL_RATIO = 1.5;
const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const GROUP = 'size.bench.kplex.io';
const WIDGETS = `/apis/${GROUP}/v1/namespaces/default/widgets`;

interface Kind {
  title: string;
  path: string;
  body: (name: string) => unknown;
}

const binding = (kind: string, name: string, namespace?: string) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
  subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: `user-${name}` }],
});

const KINDS: Kind[] = [
  {
    title: 'ClusterRoleBinding',
    path: `${RBAC}/clusterrolebindings`,
    body: (n) => binding('ClusterRoleBinding', n),
  },
  {
    title: 'RoleBinding',
    path: `${RBAC}/namespaces/default/rolebindings`,
    body: (n) => binding('RoleBinding', n, 'default'),
  },
  {
    title: 'custom resource',
    path: WIDGETS,
    body: (n) => ({ apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name: n }, spec: { size: 3 } }),
  },
  {
    title: 'Namespace',
    path: '/api/v1/namespaces',
    body: (n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } }),
  },
];

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
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
          },
        },
      },
    ],
  },
};

async function installCRD(t: Target): Promise<void> {
  await must(t, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd, [409]);
  const end = Date.now() + 60_000;
  while ((await call(t, 'GET', WIDGETS)).status !== 200) {
    if (Date.now() > end) throw new Error('the size bench CRD was not served after 60 s');
    await sleep(100);
  }
}

/** Creates objects named `fill-<i>` for i in [from, to), 16 at a time (409 tolerated: a rerun). */
async function fill(t: Target, k: Kind, from: number, to: number): Promise<void> {
  const names = Array.from({ length: to - from }, (_, i) => `fill-${from + i}`);
  await pool(names, 16, async (name) => void (await must(t, 'POST', k.path, k.body(name), [409])));
}

/** Creates a Tenant whose limits fit `objects` objects and namespaces (the defaults are lower). */
async function tenantFor(ctx: Context, name: string, objects: number): Promise<Target> {
  const created = await call(ctx.stack.hostApi, 'POST', TENANTS_PATH, {
    apiVersion: `${TENANT_GROUP}/${TENANT_VERSION}`,
    kind: 'Tenant',
    metadata: { name },
    // Namespaces count twice: the object and its host-namespace mapping.
    spec: { limits: { objects: 2 * objects + 1_000, namespaces: objects + 100 } },
  });
  if (created.status !== 201 && created.status !== 409)
    throw new Error(`creating Tenant ${name}: ${created.status} ${created.text.slice(0, 200)}`);
  const t = await ctx.stack.tenant(name);
  await ctx.stack.waitServed(t);
  await installCRD(t);
  return t;
}

export async function createCost(ctx: Context): Promise<Entry[]> {
  const { log } = ctx;
  const small = 100;
  const large = ctx.quick ? 2_000 : 10_000;
  const n = ctx.quick ? 40 : 100;
  // Two tenants, one per size, probed alternately (ABBA) so machine noise hits both sizes alike.
  const S = await tenantFor(ctx, 'bench-size-100', KINDS.length * (small + 2 * n));
  const L = await tenantFor(ctx, 'bench-size-large', KINDS.length * (large + 2 * n));
  const entries: Entry[] = [];
  for (const k of KINDS) {
    log(`  ${k.title}: filling to ${small} and ${large}`);
    await fill(S, k, 0, small);
    await fill(L, k, 0, large);
    let probe = 0;
    const create = (t: Target) => async () => {
      const r = await call(t, 'POST', k.path, k.body(`probe-${probe++}`));
      if (r.status !== 201) throw new Error(`create ${k.title}: ${r.status} ${r.text.slice(0, 200)}`);
    };
    // The probes add objects: the small side ends at about small + n, still "about 100".
    const paired = await interleave(n, create(L), create(S));
    const atLarge = summarize(paired.kplex);
    const at100 = summarize(paired.host);
    const ratio = round(atLarge.p50 / at100.p50);
    log(
      `  ${k.title}: p50 ${round(at100.p50)} ms at ${small}, ${round(atLarge.p50)} ms at ${large} (×${ratio})`,
    );
    entries.push({
      name: `create cost vs size: ${k.title} (p50 at ${large.toLocaleString('en')} vs at ${small}; host column = at ${small})`,
      unit: 'ms',
      kplex: { p50: round(atLarge.p50), p99: round(atLarge.p99) },
      host: { p50: round(at100.p50), p99: round(at100.p99) },
      ratio: { p50: ratio, p99: round(atLarge.p99 / at100.p99) },
      goal: `p50 at ${large.toLocaleString('en')} ≤ ${GOAL_RATIO}× p50 at ${small}`,
      met: Number.isFinite(ratio) && ratio <= GOAL_RATIO,
    });
  }
  if (ctx.quick)
    ctx.notes.push(`create cost vs size: --quick fills to ${large} objects per kind instead of 10,000.`);
  return entries;
}
