// 9. LIST pods -A of a tenant with 50 namespaces (a consistent read, no resourceVersion) vs the host
// listing the same number of pods in one namespace. JSON lists are served from the shared host
// watch of pods once it caught up with the host's version (one small host request per list);
// Table lists (kubectl get's form) still fan out one host list per namespace.
import { call, must, type Target } from '../lib/api.js';
import type { Context } from '../lib/context.js';
import { pool, sideBySide } from '../lib/interleave.js';
import { sleep } from '../lib/proc.js';
import { latencyEntry, valueEntry, type Entry } from '../lib/report.js';

const NAMESPACES = 50;
const PODS_PER_NAMESPACE = 2;
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { bench: 'list-all' } },
  spec: { containers: [{ name: 'app', image: 'busybox' }] },
});

/** LISTs and WATCHes of pods the host apiserver has served (apiserver_request_total). */
async function hostPodReads(host: Target): Promise<number> {
  const r = await call(host, 'GET', '/metrics');
  let sum = 0;
  for (const line of r.text.split('\n'))
    if (
      line.startsWith('apiserver_request_total{') &&
      line.includes('resource="pods"') &&
      /verb="(LIST|WATCH)"/.test(line)
    )
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** Creates a pod, retrying while the namespace's host namespace is still being made. */
async function createPod(t: Target, ns: string, name: string): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    const r = await call(t, 'POST', `/api/v1/namespaces/${ns}/pods`, pod(name));
    if (r.status === 201 || r.status === 409) return;
    if (Date.now() > end) throw new Error(`pod ${ns}/${name}: ${r.status} ${r.text.slice(0, 200)}`);
    await sleep(100);
  }
}

export async function listAll(ctx: Context): Promise<Entry[]> {
  const { stack, log } = ctx;
  await stack.createTenantObject('list-all');
  const k = await stack.tenant('list-all');
  await stack.waitServed(k);
  const h = stack.hostApi;
  const pods = NAMESPACES * PODS_PER_NAMESPACE;
  log(
    `  ${NAMESPACES} tenant namespaces with ${PODS_PER_NAMESPACE} pods each; ${pods} pods in one host namespace`,
  );
  const nss = Array.from({ length: NAMESPACES }, (_, i) => `la-${i}`);
  await pool(nss, 8, async (ns) => {
    await must(
      k,
      'POST',
      '/api/v1/namespaces',
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      [409],
    );
    for (let p = 0; p < PODS_PER_NAMESPACE; p++) await createPod(k, ns, `p-${p}`);
  });
  await must(
    h,
    'POST',
    '/api/v1/namespaces',
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'direct-la' } },
    [409],
  );
  await pool(
    Array.from({ length: pods }, (_, i) => i),
    8,
    async (i) => createPod(h, 'direct-la', `p-${i}`),
  );
  const n = ctx.quick ? 20 : 100;
  const count = async (t: Target, path: string) => {
    const r = await call(t, 'GET', path);
    if (r.status !== 200) throw new Error(`${t.base}${path}: ${r.status} ${r.text.slice(0, 200)}`);
    const body = JSON.parse(r.text) as { items?: unknown[]; rows?: unknown[] };
    const got = (body.items ?? body.rows ?? []).length;
    if (got !== pods) throw new Error(`${t.base}${path}: ${got} pods, expected ${pods}`);
  };
  const both = sideBySide(
    { t: k, path: '/api/v1/pods' },
    { t: h, path: '/api/v1/namespaces/direct-la/pods' },
    log,
  );
  const before = await hostPodReads(h);
  const json = await both(`LIST ${pods} pods -A over ${NAMESPACES} namespaces (JSON)`, n, (s) =>
    count(s.t, s.path),
  );
  // half of the requests were the host side's own lists; the other half came through kplex
  const perList = ((await hostPodReads(h)) - before - (n + 5)) / (n + 5);
  const table = await both(
    `LIST ${pods} pods -A over ${NAMESPACES} namespaces (Table, as kubectl get)`,
    n,
    (s) => count({ ...s.t, accept: TABLE }, s.path),
  );
  await pool(nss, 8, async (ns) => void (await call(k, 'DELETE', `/api/v1/namespaces/${ns}`)));
  await call(h, 'DELETE', '/api/v1/namespaces/direct-la');
  ctx.notes.push(
    `LIST -A: a tenant with ${NAMESPACES} namespaces of ${PODS_PER_NAMESPACE} pods each lists pods across them with no resourceVersion (a consistent read) vs the host listing ${pods} pods in one namespace. JSON lists come from the shared host watch of pods (the host is asked its current version with one watch-list that matches nothing; the cache waits to reach it); Table lists (kubectl get) fan out one host list per namespace. Host requests per kplex list: the host's apiserver_request_total of pod LISTs and WATCHes over the JSON samples, less the host side's own lists.`,
  );
  return [
    latencyEntry(
      `LIST pods -A, tenant with ${NAMESPACES} namespaces vs host 1 namespace (JSON, ${pods} pods)`,
      json.kplex,
      json.host,
    ),
    latencyEntry(
      `LIST pods -A, tenant with ${NAMESPACES} namespaces vs host 1 namespace (Table, ${pods} pods)`,
      table.kplex,
      table.host,
    ),
    valueEntry(`LIST pods -A (JSON): host pod LISTs and WATCHes per list through kplex`, 'requests', perList),
  ];
}
