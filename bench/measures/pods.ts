// 6. Pod create with the pod syncer: a pod created through a kplex tenant (passthrough, and the
// host calling kplex's mutating webhook, which wires the pod to the tenant's API and DNS) vs the
// same pod created straight on the host in a namespace of its own (no webhook). A second pair
// isolates the webhook: pods created on the HOST in the tenant's host namespace (what a host
// controller's ReplicaSet or Job does) vs in a plain host namespace.
import { call, must, type Target } from '../lib/api.js';
import type { Context } from '../lib/context.js';
import { pool, sideBySide } from '../lib/interleave.js';
import { sleep } from '../lib/proc.js';
import { latencyEntry, unavailable, type Entry } from '../lib/report.js';

const NAME = 'pods';
const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { bench: 'pods' } },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'busybox',
        env: [{ name: 'MY_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
      },
    ],
  },
});

export async function pods(ctx: Context): Promise<Entry[]> {
  const { stack, log } = ctx;
  const tenantName = 'bench-pods';
  await stack.createTenantObject(tenantName);
  const k = await stack.tenant(tenantName);
  await stack.waitServed(k);
  const h = stack.hostApi;
  await must(
    k,
    'POST',
    '/api/v1/namespaces',
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pods' } },
    [409],
  );
  await must(
    h,
    'POST',
    '/api/v1/namespaces',
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench-direct-pods' } },
    [409],
  );
  // The tenant's first pod makes its host namespace (and kplex's CA ConfigMap there): not measured.
  const end = Date.now() + 60_000;
  for (;;) {
    const r = await call(k, 'POST', '/api/v1/namespaces/pods/pods', pod('probe'));
    if (r.status === 201) break;
    if (Date.now() > end)
      return [unavailable(NAME, `pod create through kplex: ${r.status} ${r.text.slice(0, 200)}`)];
    await sleep(200);
  }
  const ns = await call(
    h,
    'GET',
    `/api/v1/namespaces?labelSelector=${encodeURIComponent(`kplex.io/tenant=${tenantName},kplex.io/namespace=pods`)}`,
  );
  const hostNs = (JSON.parse(ns.text) as { items: { metadata: { name: string } }[] }).items[0]?.metadata.name;
  if (!hostNs) return [unavailable(NAME, "the tenant's host namespace was not found")];
  const probe = await must<{ metadata: { annotations?: Record<string, string> } }>(
    h,
    'GET',
    `/api/v1/namespaces/${hostNs}/pods/probe`,
  );
  if (!probe.metadata.annotations?.['kplex.io/namespace'])
    return [unavailable(NAME, 'the pod webhook did not translate the probe pod')];

  const n = ctx.quick ? 40 : 200;
  type Side = { t: Target; path: string };
  const both = sideBySide<Side>(
    { t: k, path: '/api/v1/namespaces/pods/pods' },
    { t: h, path: '/api/v1/namespaces/bench-direct-pods/pods' },
    log,
  );
  const create = await both('CREATE pod (tenant, webhook) vs host', n, async (s, i) => {
    const r = await call(s.t, 'POST', s.path, pod(`p-${i}`));
    if (r.status !== 201) throw new Error(`pod create ${s.t.base}: ${r.status} ${r.text.slice(0, 200)}`);
  });
  const webhookOnly = sideBySide<Side>(
    { t: h, path: `/api/v1/namespaces/${hostNs}/pods` },
    { t: h, path: '/api/v1/namespaces/bench-direct-pods/pods' },
    log,
  );
  const hook = await webhookOnly(
    'CREATE pod on the host: tenant namespace (webhook) vs plain',
    n,
    async (s, i) => {
      const r = await call(s.t, 'POST', s.path, pod(`h-${i}`));
      if (r.status !== 201) throw new Error(`host pod create: ${r.status} ${r.text.slice(0, 200)}`);
    },
  );
  // Cleanup off the clock: kwok keeps every pod Running until deleted.
  const del = (t: Target, base: string, names: string[]) =>
    pool(names, 8, async (name) => void (await call(t, 'DELETE', `${base}/${name}?gracePeriodSeconds=0`)));
  const names = (p: string) => ['probe', ...Array.from({ length: n + 5 }, (_, i) => `${p}-${i}`)];
  await del(k, '/api/v1/namespaces/pods/pods', names('p'));
  await del(h, `/api/v1/namespaces/${hostNs}/pods`, names('h'));
  await del(h, '/api/v1/namespaces/bench-direct-pods/pods', [...names('p'), ...names('h')]);
  ctx.notes.push(
    'pods: kplex serves the pod webhook (--webhook-client-ca, --pod-dns-address 127.0.0.1: API, token, CA, namespace and DNS wiring); the host side creates the same pod in a namespace the webhook does not match.',
  );
  return [
    latencyEntry('pod CREATE through kplex (passthrough + webhook) vs host', create.kplex, create.host, 1.3),
    latencyEntry('pod CREATE on the host: tenant namespace (webhook) vs plain', hook.kplex, hook.host),
  ];
}
