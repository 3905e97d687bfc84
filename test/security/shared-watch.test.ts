// The shared host watch (one per resource type for every tenant, src/hostwatch) holds every
// tenant's objects and the host's own in one cache. Tenant A crafts watches across its namespaces
// (selectors on kplex's labels and on host namespace names, names of B's objects, resourceVersions
// old, new and odd, watch-lists, every encoding) while tenant B and the host write: A never gets an
// object, a name or a namespace that is not its own. Each stream ends in a marker A writes after
// the others' writes, so every event that could have leaked came before it (versions are ordered).
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { type CollectedEvent, type Collecting, collectWatch, until } from '../helpers/watch-collect.js';
import { attack, securityEnv, type SecurityEnv } from './harness.js';

const A = 'sec-sw-a';
const B = 'sec-sw-b';
const HOST_NS = 'sec-sw-host-only';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const PROTOBUF = 'application/vnd.kubernetes.protobuf';

type Obj = { metadata?: { name?: string; uid?: string; resourceVersion?: string } };

describe('security: watches served from the shared host watch', () => {
  let s: SecurityEnv;
  let a: HostClient;
  let b: HostClient;
  /** Host namespace names of A's and B's namespaces (A must never read one). */
  const hostNames: string[] = [];
  /** Strings that are not A's: B's object names and data, the host-only object's. */
  const foreign = ['b-secret-name', 'b-data-marker', 'host-only-cm', 'host-data-marker', 'hidden-in-a'];
  let markers = 0;
  let startRV = '';

  const cm = async (c: HostClient, ns: string, name: string, extra: Record<string, unknown> = {}) => {
    const r = await c.request<Obj>('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      metadata: { name, ...extra },
      data: { owner: c === a ? 'a' : 'b-data-marker' },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  };

  /** B and the host write; then A writes a marker. Resolves once `w` got A's marker. */
  const othersWriteThenMarker = async (w: Collecting): Promise<string> => {
    await cm(b, 'shared', `b-secret-name-${++markers}`, { labels: { app: 'shared' } });
    await s.hostApi.request('POST', `/api/v1/namespaces/${HOST_NS}/configmaps`, {
      metadata: { name: `host-only-cm-${markers}`, labels: { app: 'shared' } },
      data: { k: 'host-data-marker' },
    });
    const marker = `a-marker-${markers}`;
    await cm(a, 'shared', marker, { labels: { app: 'shared' } });
    await until('A’s marker', () => w.text().includes(marker));
    return marker;
  };

  /** Nothing of B, of the host or of kplex's own in what A received. */
  const onlyA = (w: Collecting): void => {
    const text = w.text();
    for (const f of foreign) expect(text).not.toContain(f);
    for (const h of hostNames) expect(text).not.toContain(h);
    expect(text).not.toContain('kplex.io/');
    expect(text).not.toContain(HOST_NS);
    for (const e of w.events as CollectedEvent[]) {
      const ns = e.object.metadata?.namespace;
      if (ns !== undefined)
        expect(['shared', 'default', 'kube-system', 'kube-public', 'kube-node-lease', 'a-late']).toContain(
          ns,
        );
    }
  };

  beforeAll(async () => {
    s = await securityEnv([A, B]);
    a = s.api[A]!;
    b = s.api[B]!;
    for (const c of [a, b])
      expect((await c.request('POST', '/api/v1/namespaces', { metadata: { name: 'shared' } })).status).toBe(
        201,
      );
    // A host version from before any -A watch here (so before the cache's LIST), within the host's
    // window: versions older than 5-10 minutes are compacted (rv 1 is gone in a long suite).
    startRV = (
      await a.request<{ metadata: { resourceVersion: string } }>(
        'GET',
        '/api/v1/namespaces/shared/configmaps',
      )
    ).body.metadata.resourceVersion;
    await cm(a, 'shared', 'a-own', { labels: { app: 'shared' } });
    await cm(b, 'shared', 'b-secret-name-0', { labels: { app: 'shared' } });
    expect(
      (await s.hostApi.request('POST', '/api/v1/namespaces', { metadata: { name: HOST_NS } })).status,
    ).toBe(201);
    const hostNss = await s.hostApi.request<{ items: { metadata: { name: string } }[] }>(
      'GET',
      `/api/v1/namespaces?labelSelector=${encodeURIComponent('kplex.io/tenant in (sec-sw-a,sec-sw-b)')}`,
    );
    hostNames.push(...hostNss.body.items.map((n) => n.metadata.name));
    expect(hostNames.length).toBeGreaterThanOrEqual(2);
    // kplex's own object in A's host namespace: hidden from A, whatever A asks
    const aShared = hostNss.body.items.find(
      (n) => n.metadata.name.includes('sec-sw-a') && n.metadata.name.endsWith('shared'),
    );
    expect(aShared).toBeDefined();
    const hidden = await s.hostApi.request(
      'POST',
      `/api/v1/namespaces/${aShared!.metadata.name}/configmaps`,
      {
        metadata: { name: 'hidden-in-a', labels: { 'kplex.io/hidden': 'true', app: 'shared' } },
      },
    );
    expect(hidden.status).toBe(201);
  }, 180_000);
  afterAll(async () => s?.close());

  /** What A asks, the path, the encoding, and whether it matches none of A's objects. */
  const watches: [string, string, string, boolean?][] = [
    ['no selector (JSON)', '/api/v1/configmaps?watch=1', 'application/json'],
    ['no selector (protobuf)', '/api/v1/configmaps?watch=1', PROTOBUF],
    ['no selector (Table with objects)', '/api/v1/configmaps?watch=1&includeObject=Object', TABLE],
    [
      'a label every tenant’s objects carry',
      '/api/v1/configmaps?watch=1&labelSelector=app%3Dshared',
      'application/json',
    ],
    [
      'kplex’s tenant label naming B',
      `/api/v1/configmaps?watch=1&labelSelector=kplex.io%2Ftenant%3D${B}`,
      'application/json',
      true,
    ],
    [
      'kplex’s hidden label',
      '/api/v1/configmaps?watch=1&labelSelector=kplex.io%2Fhidden%3Dtrue',
      'application/json',
      true,
    ],
    [
      'the absence of kplex’s labels',
      '/api/v1/configmaps?watch=1&labelSelector=!kplex.io%2Ftenant,!kplex.io%2Fhidden',
      'application/json',
    ],
    [
      'B’s object name',
      '/api/v1/configmaps?watch=1&fieldSelector=metadata.name%3Db-secret-name-0',
      'application/json',
      true,
    ],
    [
      'a host-only namespace name',
      `/api/v1/configmaps?watch=1&fieldSelector=metadata.namespace%3D${HOST_NS}`,
      'application/json',
      true,
    ],
    [
      'every namespace but one',
      '/api/v1/configmaps?watch=1&fieldSelector=metadata.namespace!%3Dnothing',
      'application/json',
    ],
    ['resourceVersion 0', '/api/v1/configmaps?watch=1&resourceVersion=0', 'application/json'],
    [
      'a far-future resourceVersion',
      '/api/v1/configmaps?watch=1&resourceVersion=999999999999',
      'application/json',
      true,
    ],
    [
      'a watch-list',
      '/api/v1/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=0&allowWatchBookmarks=true',
      'application/json',
    ],
    [
      'PartialObjectMetadata',
      '/api/v1/configmaps?watch=1',
      'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io',
    ],
  ];
  for (const [what, path, accept, matchesNone] of watches) {
    attack('leaks', `an -A watch with ${what} gets nothing of another tenant or the host`, async () => {
      const w = collectWatch(a, path, accept);
      await until('the watch', () => w.status() !== 0);
      expect(w.status()).toBe(200);
      if (!matchesNone) await othersWriteThenMarker(w);
      else {
        // It shows none of A's objects either: the others write, then a watch that does sees A's
        // marker (the cache sends events in version order, so the crafted watch had its chance).
        const m = collectWatch(a, '/api/v1/configmaps?watch=1&resourceVersion=0');
        await othersWriteThenMarker(m);
        m.stop();
      }
      w.stop();
      onlyA(w);
      if (matchesNone) expect(w.events.filter((e) => e.type !== 'BOOKMARK')).toEqual([]);
    });
  }

  attack(
    'leaks',
    'a resume from a version before another tenant’s writes replays only the tenant’s own events',
    async () => {
      const list = await a.request<{ metadata: { resourceVersion: string } }>('GET', '/api/v1/configmaps');
      const first = collectWatch(a, '/api/v1/configmaps?watch=1');
      await othersWriteThenMarker(first);
      first.stop();
      const w = collectWatch(
        a,
        `/api/v1/configmaps?watch=1&resourceVersion=${list.body.metadata.resourceVersion}`,
      );
      await until('the replayed marker', () => w.text().includes(`a-marker-${markers}`));
      w.stop();
      onlyA(w);
      expect(w.events.some((e) => e.object.metadata?.name === `a-marker-${markers}`)).toBe(true);
    },
  );

  attack(
    'leaks',
    'versions from before the shared cache (the host’s window) replay only the tenant’s own',
    async () => {
      for (const rv of [startRV, String(Number(startRV) - 1)]) {
        const w = collectWatch(a, `/api/v1/configmaps?watch=1&resourceVersion=${rv}`);
        await othersWriteThenMarker(w);
        w.stop();
        onlyA(w);
      }
    },
  );

  for (const [what, path, , matchesNone] of watches.filter(([, p]) => !p.includes('resourceVersion'))) {
    attack(
      'leaks',
      `a LIST -A served from the cache (resourceVersion 0) with ${what} lists only the tenant’s`,
      async () => {
        const r = await a.request<{ items: CollectedEvent['object'][] }>(
          'GET',
          `${path.replace('watch=1', 'resourceVersion=0')}`,
        );
        expect(r.status).toBe(200);
        const text = JSON.stringify(r.body);
        for (const f of foreign) expect(text).not.toContain(f);
        for (const h of hostNames) expect(text).not.toContain(h);
        expect(text).not.toContain('kplex.io/');
        if (matchesNone) expect(r.body.items).toEqual([]);
        else expect(r.body.items.length).toBeGreaterThan(0);
      },
    );
  }

  attack(
    'malformed',
    'odd resourceVersions and selectors are the host’s to refuse (through the fan-out), with no leak',
    async () => {
      for (const q of [
        'resourceVersion=abc',
        'resourceVersion=-1',
        'resourceVersion=1e3',
        'labelSelector=a%20in%20(b',
        'fieldSelector=spec.x%3D1',
      ]) {
        const r = await a.request('GET', `/api/v1/configmaps?watch=1&timeoutSeconds=1&${q}`);
        // the host itself answers 500 to a watch from an unparseable version
        expect([200, 400, 500], `${q}: ${r.status}`).toContain(r.status);
        const text = JSON.stringify(r.body);
        for (const f of foreign) expect(text).not.toContain(f);
        for (const h of hostNames) expect(text).not.toContain(h);
      }
    },
  );

  attack(
    'namespaces',
    'another tenant’s namespace created while the watch runs never joins it; the tenant’s own does',
    async () => {
      const w = collectWatch(a, '/api/v1/configmaps?watch=1');
      await until('the initial state', () => w.text().includes('a-own'));
      expect((await b.request('POST', '/api/v1/namespaces', { metadata: { name: 'b-late' } })).status).toBe(
        201,
      );
      await cm(b, 'b-late', 'b-secret-name-late');
      expect((await a.request('POST', '/api/v1/namespaces', { metadata: { name: 'a-late' } })).status).toBe(
        201,
      );
      await cm(a, 'a-late', 'a-late-cm');
      await until('A’s late namespace', () => w.text().includes('a-late-cm'));
      await othersWriteThenMarker(w);
      w.stop();
      onlyA(w);
      expect(w.text()).not.toContain('b-late');
    },
  );
});
