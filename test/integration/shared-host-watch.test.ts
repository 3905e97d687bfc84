// Watches across a tenant's namespaces served from ONE shared host watch per resource type
// (src/hostwatch): they follow the host's events with virtual namespace names, never show another
// tenant's objects, take in namespaces made while they run, resume from a resourceVersion, answer
// 410 past the cache's window, speak protobuf and Table, and add no host watch per tenant watch.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { protobufWatchContentType } from '../../src/protobuf/index.js';
import { apiClient } from '../helpers/api-client.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';
import { type CollectedEvent as Ev, collectWatch as collect, until } from '../helpers/watch-collect.js';

const A = 'sw-a';
const B = 'sw-b';

type Obj = NonNullable<Ev['object']>;

const named = (evs: Ev[], ns: string) =>
  evs.filter((e) => e.type !== 'BOOKMARK' && e.object.metadata?.namespace === ns);

/** The host's count of long-running WATCH requests of configmaps, by scope (host /metrics). */
async function hostConfigMapWatches(hostApi: HostClient): Promise<{ cluster: number; namespace: number }> {
  const res = await hostApi.request('GET', '/metrics');
  const out = { cluster: 0, namespace: 0 };
  for (const line of String(res.body).split('\n')) {
    if (!line.startsWith('apiserver_longrunning_requests{')) continue;
    if (!line.includes('resource="configmaps"') || !line.includes('verb="WATCH"')) continue;
    const n = Number(line.split(' ').pop());
    if (line.includes('scope="cluster"')) out.cluster += n;
    if (line.includes('scope="namespace"')) out.namespace += n;
  }
  return out;
}

describe('shared host watches: -A watches of host-backed kinds', () => {
  const host = inject('host');
  let env: TenantEnv;
  let a: HostClient;
  let b: HostClient;
  let hostApi: HostClient;
  let kcA: string;
  let startRV: string;

  const mkns = async (c: HostClient, ns: string) =>
    expect((await c.request('POST', '/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(201);
  const mkcm = async (c: HostClient, ns: string, name: string, data: Record<string, string> = { k: 'v' }) => {
    const r = await c.request<Obj>('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      metadata: { name },
      data,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  };
  const hostNamespaceOf = async (tenant: string, ns: string): Promise<string> => {
    const r = await hostApi.request<{ items: Obj[] }>(
      'GET',
      `/api/v1/namespaces?labelSelector=${encodeURIComponent(`kplex.io/namespace=${ns}`)}`,
    );
    const found = r.body.items.filter(
      (n) => (n.metadata as { labels?: Record<string, string> }).labels?.['kplex.io/tenant'] === tenant,
    );
    expect(found).toHaveLength(1);
    return found[0]!.metadata!.name!;
  };

  beforeAll(async () => {
    env = await startTenantEnv(host);
    kcA = await env.tenant(A);
    a = await apiClient(kcA);
    b = await apiClient(await env.tenant(B));
    hostApi = await apiClient(host.kubeconfig);
    // A host version from before any -A watch of configmaps here, so before the cache's LIST.
    startRV = (
      await a.request<{ metadata: { resourceVersion: string } }>(
        'GET',
        '/api/v1/namespaces/default/configmaps',
      )
    ).body.metadata.resourceVersion;
    for (const c of [a, b]) {
      await mkns(c, 'shared');
      await mkcm(c, 'shared', 'same-name', { owner: c === a ? A : B });
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), hostApi?.close()]);
    await env?.close();
  });

  it('follows the host events of the tenant namespaces with virtual names, as the host sends them', async () => {
    const hostNs = await hostNamespaceOf(A, 'shared');
    const hw = collect(hostApi, `/api/v1/namespaces/${hostNs}/configmaps?watch=1`);
    const w = collect(a, '/api/v1/configmaps?watch=1');
    // the current state first: A's configmap, never B's of the same name
    await until('the initial state', () => named(w.events, 'shared').length >= 1);
    await until('the host watch', () => hw.events.length >= 1);
    await mkcm(a, 'shared', 'c1');
    await a.request('PUT', '/api/v1/namespaces/shared/configmaps/c1', {
      metadata: { name: 'c1' },
      data: { k: 'v2' },
    });
    await a.request('DELETE', '/api/v1/namespaces/shared/configmaps/c1');
    await until(
      '3 events of c1',
      () => named(w.events, 'shared').filter((e) => e.object.metadata?.name === 'c1').length >= 3,
    );
    await until(
      '3 host events of c1',
      () => hw.events.filter((e) => e.object.metadata?.name === 'c1').length >= 3,
    );
    w.stop();
    hw.stop();
    const seq = (evs: Ev[]) =>
      evs
        .filter((e) => e.object.metadata?.name === 'c1')
        .map((e) => `${e.type} ${e.object.metadata?.resourceVersion}`);
    expect(seq(w.events)).toEqual(seq(hw.events));
    const first = named(w.events, 'shared').find((e) => e.object.metadata?.name === 'same-name')!;
    expect(first.type).toBe('ADDED');
    expect((first.object['data'] as Record<string, string>)['owner']).toBe(A);
    const text = JSON.stringify(w.events);
    expect(text).not.toContain(hostNs);
    expect(text).not.toContain('kplex.io/');
    for (const e of w.events)
      expect(['shared', 'default', 'kube-system', 'kube-public', 'kube-node-lease']).toContain(
        e.object.metadata?.namespace,
      );
  });

  it('two tenants watching at once never see each other’s objects', async () => {
    const wa = collect(a, '/api/v1/configmaps?watch=1');
    const wb = collect(b, '/api/v1/configmaps?watch=1');
    await until(
      'both initial states',
      () => named(wa.events, 'shared').length > 0 && named(wb.events, 'shared').length > 0,
    );
    const madeA = await mkcm(a, 'shared', 'only-a');
    const madeB = await mkcm(b, 'shared', 'only-b');
    await until('A sees its own', () => wa.events.some((e) => e.object.metadata?.name === 'only-a'));
    await until('B sees its own', () => wb.events.some((e) => e.object.metadata?.name === 'only-b'));
    wa.stop();
    wb.stop();
    const uids = (evs: Ev[]) => new Set(evs.map((e) => e.object.metadata?.uid).filter(Boolean));
    expect(uids(wa.events).has(madeB.metadata!.uid)).toBe(false);
    expect(uids(wb.events).has(madeA.metadata!.uid)).toBe(false);
    expect(wa.events.some((e) => e.object.metadata?.name === 'only-b')).toBe(false);
    expect(wb.events.some((e) => e.object.metadata?.name === 'only-a')).toBe(false);
    const owners = (evs: Ev[]) =>
      evs.map((e) => (e.object['data'] as Record<string, string> | undefined)?.['owner']).filter(Boolean);
    expect(new Set(owners(wa.events))).toEqual(new Set([A]));
    expect(new Set(owners(wb.events))).toEqual(new Set([B]));
  });

  it('a namespace created while the watch runs joins it', async () => {
    const w = collect(a, '/api/v1/configmaps?watch=1&resourceVersion=0');
    await until('the initial state', () => named(w.events, 'shared').length > 0);
    await mkns(a, 'late');
    await mkcm(a, 'late', 'late-cm');
    await until('the late namespace’s configmap', () =>
      named(w.events, 'late').some((e) => e.object.metadata?.name === 'late-cm'),
    );
    w.stop();
  });

  it('resumes from a list’s resourceVersion with exactly the changes after it', async () => {
    const list = await a.request<{ metadata: { resourceVersion: string } }>('GET', '/api/v1/configmaps');
    const rv = list.body.metadata.resourceVersion;
    await mkcm(a, 'shared', 'after-list');
    const w = collect(a, `/api/v1/configmaps?watch=1&resourceVersion=${rv}`);
    await until('the change after the list', () =>
      w.events.some((e) => e.object.metadata?.name === 'after-list'),
    );
    w.stop();
    // (the host's root CA publisher may still be filling the namespace made by the test before)
    expect(named(w.events, 'shared').map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual([
      'ADDED after-list',
    ]);
  });

  it('a resourceVersion from before the cache’s list is the host’s to answer, with the tenant’s objects only', async () => {
    // A version taken when this file started: within the host's window (it compacts what is older
    // than 5-10 minutes, so not rv 1 in a long suite); the cache's own 410 past its ring is
    // unit-tested (test/unit/hostwatch/watch-cache.test.ts).
    const w = collect(a, `/api/v1/configmaps?watch=1&resourceVersion=${startRV}`);
    await until('A’s configmap', () =>
      named(w.events, 'shared').some((e) => e.object.metadata?.name === 'same-name'),
    );
    w.stop();
    expect(w.status()).toBe(200);
    for (const e of w.events)
      expect(e.type === 'ERROR' || !JSON.stringify(e).includes('"owner":"sw-b"')).toBe(true);
    expect(JSON.stringify(w.events)).not.toContain('kplex.io/');
  });

  it('a watch from a list’s version taken before the cache started is served (through the host)', async () => {
    // services: no -A watch of services ran in this suite yet, so the cache starts with this watch
    const list = await a.request<{ metadata: { resourceVersion: string } }>('GET', '/api/v1/services');
    await mkcm(a, 'shared', 'moves-the-version');
    const w = collect(a, `/api/v1/services?watch=1&resourceVersion=${list.body.metadata.resourceVersion}`);
    await until('the watch', () => w.status() !== 0);
    expect(
      (
        await a.request('POST', '/api/v1/namespaces/shared/services', {
          metadata: { name: 'svc-after' },
          spec: { ports: [{ port: 80 }] },
        })
      ).status,
    ).toBe(201);
    await until('the new service', () => w.events.some((e) => e.object.metadata?.name === 'svc-after'));
    w.stop();
    expect(w.events.filter((e) => e.type === 'ERROR')).toEqual([]);
  });

  it('a watch-list gets the state, then one bookmark marking the end of the initial events', async () => {
    const w = collect(
      a,
      '/api/v1/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=0&allowWatchBookmarks=true',
    );
    await until('the initial-events-end bookmark', () => w.events.some((e) => e.type === 'BOOKMARK'));
    w.stop();
    const i = w.events.findIndex((e) => e.type === 'BOOKMARK');
    expect(w.events.slice(0, i).every((e) => e.type === 'ADDED')).toBe(true);
    expect(named(w.events.slice(0, i), 'shared').length).toBeGreaterThan(0);
    expect(w.events[i]!.object.metadata).toMatchObject({
      annotations: { 'k8s.io/initial-events-end': 'true' },
    });
  });

  it('label and name selectors are applied to the tenant’s view', async () => {
    await a.request('POST', '/api/v1/namespaces/shared/configmaps', {
      metadata: { name: 'labelled', labels: { app: 'web' } },
    });
    const bySel = collect(a, '/api/v1/configmaps?watch=1&labelSelector=app%3Dweb');
    const byName = collect(
      a,
      '/api/v1/configmaps?watch=1&fieldSelector=metadata.name%3Dsame-name,metadata.namespace%3Dshared',
    );
    // kplex's own labels are never matched (the tenant's objects do not have them)
    const byKplex = collect(a, '/api/v1/configmaps?watch=1&labelSelector=kplex.io%2Fhidden');
    await until('the labelled configmap', () => bySel.events.length >= 1);
    await until('the named configmap', () => byName.events.length >= 1);
    await new Promise((r) => setTimeout(r, 500));
    for (const w of [bySel, byName, byKplex]) w.stop();
    expect(bySel.events.map((e) => e.object.metadata?.name)).toEqual(['labelled']);
    expect(byName.events.map((e) => `${e.object.metadata?.namespace}/${e.object.metadata?.name}`)).toEqual([
      'shared/same-name',
    ]);
    expect(byKplex.events).toEqual([]);
  });

  it('speaks protobuf', async () => {
    const w = collect(a, '/api/v1/configmaps?watch=1', protobufWatchContentType.split(';')[0]);
    await until('the initial state', () => named(w.events, 'shared').length > 0);
    w.stop();
    expect(w.contentType()).toBe(protobufWatchContentType);
    expect(named(w.events, 'shared').map((e) => e.object.metadata?.name)).toContain('same-name');
  });

  it('Table watches carry the host’s cells, the columns on the first event only, and includeObject as asked', async () => {
    const table = 'application/json;as=Table;v=v1;g=meta.k8s.io';
    const hostNs = await hostNamespaceOf(A, 'shared');
    const w = collect(a, '/api/v1/configmaps?watch=1&resourceVersion=0&includeObject=None', table);
    await until('the initial rows', () => w.events.length > 0);
    await mkcm(a, 'shared', 'tabled', { x: '1', y: '2' });
    await until('the new row', () => w.events.length > 1 && JSON.stringify(w.events).includes('tabled'));
    w.stop();
    const defs = w.events.map((e) => (e.object['columnDefinitions'] as unknown[] | undefined)?.length ?? 0);
    expect(defs[0]).toBeGreaterThan(0);
    expect(defs.slice(1).every((n) => n === 0)).toBe(true);
    const rows = w.events.flatMap((e) => e.object['rows'] as { cells: unknown[]; object?: unknown }[]);
    expect(rows.every((r) => r.object === undefined)).toBe(true);
    const hostTable = await hostApi.request<{ rows: { cells: unknown[] }[] }>(
      'GET',
      `/api/v1/namespaces/${hostNs}/configmaps/tabled`,
    );
    expect(hostTable.status).toBe(200);
    const tabled = rows.find((r) => r.cells[0] === 'tabled')!;
    expect(tabled.cells[1]).toBe(2); // DATA, as the host counts it
    expect(JSON.stringify(w.events)).not.toContain(hostNs);
  });

  it('kubectl get configmaps -A -w prints the tenant’s rows with virtual namespaces', async () => {
    let out = '';
    const child = spawn('kubectl', ['--kubeconfig', kcA, 'get', 'configmaps', '-A', '-w']);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.on('exit', r));
    await until('the listed rows', () => out.includes('same-name'));
    await mkcm(a, 'shared', 'kubectl-sees');
    await until('the watched row', () => out.includes('kubectl-sees'));
    child.kill('SIGTERM');
    await exited;
    const line = out.split('\n').find((l) => l.includes('kubectl-sees'))!;
    expect(line.split(/\s+/).slice(0, 3)).toEqual(['shared', 'kubectl-sees', '1']);
    expect(out.split('\n')[0]!.split(/\s+/).slice(0, 3)).toEqual(['NAMESPACE', 'NAME', 'DATA']);
  });

  it('a LIST -A at resourceVersion 0 is served from the cache: the same objects as the host’s consistent list', async () => {
    type List = { kind: string; metadata: { resourceVersion: string }; items: Obj[] };
    const cached = await a.request<List>(
      'GET',
      '/api/v1/configmaps?resourceVersion=0&labelSelector=app%3Dweb',
    );
    const consistent = await a.request<List>('GET', '/api/v1/configmaps?labelSelector=app%3Dweb');
    expect(cached.status).toBe(200);
    expect(cached.body.kind).toBe('ConfigMapList');
    const names = (l: List) => l.items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`).sort();
    expect(names(cached.body)).toEqual(names(consistent.body));
    expect(names(cached.body)).toEqual(['shared/labelled']);
    const all = await a.request<List>('GET', '/api/v1/configmaps?resourceVersion=0');
    expect(JSON.stringify(all.body)).not.toContain('kplex.io/');
    expect(
      all.body.items.some((i) => (i['data'] as Record<string, string> | undefined)?.['owner'] === B),
    ).toBe(false);
    expect(all.body.items.every((i) => i['kind'] === undefined)).toBe(true);
  });

  it('many -A watches of two tenants add no host watch per tenant, namespace or watcher', async () => {
    const before = await hostConfigMapWatches(hostApi);
    const ws = [...Array(5).keys()].flatMap(() => [
      collect(a, '/api/v1/configmaps?watch=1'),
      collect(b, '/api/v1/configmaps?watch=1'),
    ]);
    await until('every watch started', () => ws.every((w) => named(w.events, 'shared').length > 0));
    const during = await hostConfigMapWatches(hostApi);
    for (const w of ws) w.stop();
    expect(during.namespace - before.namespace).toBe(0);
    expect(during.cluster - before.cluster).toBeLessThanOrEqual(1);
  });
});

describe('shared host watches: a resume past the cache’s ring', () => {
  const host = inject('host');
  let env: TenantEnv;
  let a: HostClient;

  beforeAll(async () => {
    // a ring of 6 events, so nine writes push a version out of it (three to spare for others' writes)
    env = await startTenantEnv(host, ['--watch-cache-events', '6']);
    a = await apiClient(await env.tenant('sw-ring'));
    expect((await a.request('POST', '/api/v1/namespaces', { metadata: { name: 'ring' } })).status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await a?.close();
    await env?.close();
  });

  it('answers the apiserver’s 410 Expired event for a version the ring dropped, and serves one it holds', async () => {
    const running = collect(a, '/api/v1/configmaps?watch=1');
    await until('the cache', () => running.status() === 200);
    const first = await a.request<Obj>('POST', '/api/v1/namespaces/ring/configmaps', {
      metadata: { name: 'r0' },
    });
    const from = first.body.metadata!.resourceVersion!;
    for (let i = 1; i <= 9; i++)
      expect(
        (await a.request('POST', '/api/v1/namespaces/ring/configmaps', { metadata: { name: `r${i}` } }))
          .status,
      ).toBe(201);
    await until('the last write in the cache', () =>
      running.events.some((e) => e.object.metadata?.name === 'r9'),
    );
    const expired = collect(a, `/api/v1/configmaps?watch=1&resourceVersion=${from}`);
    await expired.done;
    expect(expired.status()).toBe(200);
    expect(expired.events).toHaveLength(1);
    expect(expired.events[0]!.type).toBe('ERROR');
    expect(expired.events[0]!.object).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Expired',
      code: 410,
    });
    expect(String(expired.events[0]!.object['message'])).toMatch(
      new RegExp(`^too old resource version: ${from} \\(\\d+\\)$`),
    );
    // the last writes are still in the ring
    const r6 = running.events.find((e) => e.object.metadata?.name === 'r6')!;
    const held = collect(
      a,
      `/api/v1/configmaps?watch=1&resourceVersion=${r6.object.metadata!.resourceVersion}`,
    );
    await until('r7 to r9 replayed', () => held.events.filter((e) => e.type === 'ADDED').length >= 3);
    held.stop();
    running.stop();
    expect(held.events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual([
      'ADDED r7',
      'ADDED r8',
      'ADDED r9',
    ]);
  });
});
