// A LIST across a tenant's namespaces with no resourceVersion (a consistent read, `kubectl get -A`)
// served from the shared host watch of the type once it caught up with the host's current version
// (src/hostwatch/freshness.ts): a write through kplex or straight on the host shows at once, however
// many namespaces the tenant has, and the host sees one small request per list, not one per namespace.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { apiClient } from '../helpers/api-client.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const TENANT = 'clc-a';
const OTHER = 'clc-b';
const NAMESPACES = 12;

interface Obj {
  metadata: { name: string; namespace?: string; resourceVersion: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}
interface List {
  kind: string;
  metadata: { resourceVersion: string };
  items: Obj[];
}

/** The host's served requests for configmaps by verb and scope (its apiserver_request_total). */
async function hostConfigMapRequests(hostApi: HostClient): Promise<Record<string, number>> {
  const res = await hostApi.request('GET', '/metrics');
  const out: Record<string, number> = {};
  for (const line of String(res.body).split('\n')) {
    if (!line.startsWith('apiserver_request_total{') || !line.includes('resource="configmaps"')) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1];
    const scope = /scope="([a-z]+)"/.exec(line)?.[1];
    const key = `${verb} ${scope}`;
    out[key] = (out[key] ?? 0) + Number(line.split(' ').pop());
  }
  return out;
}

const names = (l: List) => l.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`);

describe('consistent LIST -A from the shared host watch', () => {
  const host = inject('host');
  let env: TenantEnv;
  let a: HostClient;
  let b: HostClient;
  let hostApi: HostClient;
  const hostNs: Record<string, string> = {};

  const list = async (c: HostClient, query = '') => {
    const r = await c.request<List>('GET', `/api/v1/configmaps${query}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };

  beforeAll(async () => {
    env = await startTenantEnv(host);
    a = await apiClient(await env.tenant(TENANT));
    b = await apiClient(await env.tenant(OTHER));
    hostApi = await apiClient(host.kubeconfig);
    for (let i = 0; i < NAMESPACES; i++)
      expect((await a.request('POST', '/api/v1/namespaces', { metadata: { name: `n${i}` } })).status).toBe(
        201,
      );
    expect((await b.request('POST', '/api/v1/namespaces', { metadata: { name: 'n0' } })).status).toBe(201);
    // host namespaces are made in the background after the namespace: wait for every one
    const deadline = Date.now() + 60_000;
    while (Object.keys(hostNs).length < NAMESPACES && Date.now() < deadline) {
      const r = await hostApi.request<{ items: Obj[] }>(
        'GET',
        `/api/v1/namespaces?labelSelector=${encodeURIComponent(`kplex.io/tenant=${TENANT}`)}`,
      );
      for (const n of r.body.items) {
        const v = n.metadata.labels?.['kplex.io/namespace'];
        if (v) hostNs[v] = n.metadata.name;
      }
      if (Object.keys(hostNs).length < NAMESPACES) await new Promise((r) => setTimeout(r, 100));
    }
    // the first -A list starts the shared watch of configmaps
    await list(a);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), hostApi?.close()]);
    await env?.close();
  });

  it('shows a write through kplex at once, in every namespace, and a delete at once', async () => {
    for (let i = 0; i < NAMESPACES; i++) {
      const created = await a.request<Obj>('POST', `/api/v1/namespaces/n${i}/configmaps`, {
        metadata: { name: `ryw-${i}` },
        data: { i: String(i) },
      });
      expect(created.status).toBe(201);
      const l = await list(a);
      expect(names(l)).toContain(`n${i}/ryw-${i}`);
      expect(Number(l.metadata.resourceVersion)).toBeGreaterThanOrEqual(
        Number(created.body.metadata.resourceVersion),
      );
      const updated = await a.request<Obj>('PUT', `/api/v1/namespaces/n${i}/configmaps/ryw-${i}`, {
        metadata: { name: `ryw-${i}` },
        data: { i: `${i}-2` },
      });
      expect(updated.status).toBe(200);
      const after = (await list(a)).items.find((o) => o.metadata.name === `ryw-${i}`);
      expect(after?.data).toEqual({ i: `${i}-2` });
      expect((await a.request('DELETE', `/api/v1/namespaces/n${i}/configmaps/ryw-${i}`)).status).toBe(200);
      expect(names(await list(a))).not.toContain(`n${i}/ryw-${i}`);
    }
  });

  it('shows a write made straight on the host at once, with the virtual namespace', async () => {
    for (const i of [0, 5, NAMESPACES - 1]) {
      const r = await hostApi.request('POST', `/api/v1/namespaces/${hostNs[`n${i}`]}/configmaps`, {
        metadata: { name: `direct-${i}` },
      });
      expect(r.status).toBe(201);
      const l = await list(a, '?limit=500');
      expect(names(l)).toContain(`n${i}/direct-${i}`);
      expect(JSON.stringify(l)).not.toContain(hostNs[`n${i}`]!);
    }
  });

  it('never shows another tenant’s objects of the same names', async () => {
    expect(
      (await b.request('POST', '/api/v1/namespaces/n0/configmaps', { metadata: { name: 'theirs' } })).status,
    ).toBe(201);
    expect(names(await list(a))).not.toContain('n0/theirs');
    expect(names(await list(b))).toContain('n0/theirs');
  });

  it('answers as the host: the same objects as a consistent list of each namespace', async () => {
    const l = await list(a, '?labelSelector=');
    expect(l.kind).toBe('ConfigMapList');
    const perNamespace: string[] = [];
    for (let i = 0; i < NAMESPACES; i++) {
      const r = await a.request<List>('GET', `/api/v1/namespaces/n${i}/configmaps`);
      perNamespace.push(...names(r.body));
    }
    expect(names(l).sort()).toEqual(perNamespace.sort());
    expect(JSON.stringify(l)).not.toContain('kplex.io/');
  });

  it('costs the host one small request per list, not one per namespace', async () => {
    const before = await hostConfigMapRequests(hostApi);
    const lists = 10;
    for (let i = 0; i < lists; i++) await list(a);
    const after = await hostConfigMapRequests(hostApi);
    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    // the fan-out would be lists × NAMESPACES namespace-scoped LISTs (120); here one watch-list per
    // list asks the host its version (others' requests may add a few)
    expect(delta('LIST namespace')).toBeLessThanOrEqual(2);
    const all = Object.keys(after).reduce((n, k) => n + delta(k), 0);
    expect(all).toBeLessThanOrEqual(lists + 4);
  });
});
