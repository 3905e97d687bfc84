// Exhaustion and fairness (issues 11 and 19): one tenant saturating kplex with concurrent clients,
// heavy LISTs of big custom resources, slow host answers and watch floods, and a tenant reaching
// its namespace, object and byte limits. During each attack a victim tenant's GET is timed
// (p99 <= 100 ms) and kplex's RSS sampled (<= 1 GiB). The attacker's load runs in a process of
// its own (load.ts) so its client-side work does not slow the probe. Bounded; loopback only.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { TENANTS_PATH } from '../../src/tenancy/tenant-crd.js';
import {
  attack,
  expectStatus,
  rssMiB,
  securityEnv,
  victimLatency,
  type LatencyStats,
  type SecurityEnv,
} from './harness.js';
import { openSpecCRD } from '../helpers/crd.js';
import { runLoad } from './attacker.js';
import type { LoadRequest, LoadResult, LoadSpec } from './load.js';

const V = 'sec-fair-victim';
const HOG = 'sec-fair-hog';
/** The tenant whose limits are lowered, one attack after another (each tenant costs seconds to set up). */
const Q = 'sec-fair-quota';
const VICTIM_PATH = '/api/v1/namespaces/default/configmaps/victim';
const MiB = 1024 * 1024;

const BIG = '/apis/big.example.com/v1/namespaces/default/blobs';
const bigCRD = openSpecCRD('big.example.com', 'Blob', 'blobs');
const blob = (name: string, bytes: number) => ({
  apiVersion: 'big.example.com/v1',
  kind: 'Blob',
  metadata: { name },
  spec: { data: 'x'.repeat(bytes) },
});
const FAR = '/api/v1/namespaces/default/configmaps?resourceVersion=999999999';
const get = (p: string): LoadRequest => ({ method: 'GET', path: p });

/** The attacker's own connections may time out under its flood (-1): never the victim's. */
const ATTACKER_TIMEOUTS = '-1';

function onlyStatuses(r: LoadResult, allowed: string[]): void {
  for (const code of Object.keys(r.statuses)) expect(allowed, JSON.stringify(r)).toContain(code);
}

/** Runs `op(i)` for i in [0, n) with `concurrency` in flight (from the test process); counts the statuses. */
async function flood(
  n: number,
  concurrency: number,
  op: (i: number) => Promise<number>,
): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) {
        const st = await op(next++).catch(() => -1);
        statuses.set(st, (statuses.get(st) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

/** Opens a watch; resolves with its status once headers arrive. Closed by aborting `signal`. */
async function openWatch(c: HostClient, p: string, signal: AbortSignal): Promise<number> {
  const res = await c.streams.request({
    origin: c.origin,
    path: c.basePath + p,
    method: 'GET',
    headers: c.headers({ accept: 'application/json' }),
    signal,
    headersTimeout: 30_000,
    bodyTimeout: 0,
  });
  res.body.on('error', () => {});
  res.body.resume();
  return res.statusCode;
}

/** Samples kplex's RSS while `fn` runs; returns the highest sample in MiB. */
async function peakRSS(pid: number, fn: () => Promise<unknown>): Promise<number> {
  let peak = rssMiB(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 50);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, rssMiB(pid));
  process.stderr.write(`[security] kplex peak RSS ${peak.toFixed(0)} MiB\n`);
  return peak;
}

/** The host's long-running WATCH requests of configmaps, by scope (the host apiserver's /metrics). */
async function hostConfigMapWatches(hostApi: HostClient): Promise<{ cluster: number; namespace: number }> {
  const res = await hostApi.request('GET', '/metrics');
  const out = { cluster: 0, namespace: 0 };
  for (const line of String(res.body).split('\n')) {
    if (!line.startsWith('apiserver_longrunning_requests{') || !line.includes('resource="configmaps"'))
      continue;
    if (!line.includes('verb="WATCH"')) continue;
    const n = Number(line.split(' ').pop());
    if (line.includes('scope="cluster"')) out.cluster += n;
    if (line.includes('scope="namespace"')) out.namespace += n;
  }
  return out;
}

async function until(what: string, cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const quotaMessage = (
  what: string,
  name: RegExp | string,
  resource: string,
  used: string,
  limited: string,
): RegExp =>
  new RegExp(
    `^${what} "${typeof name === 'string' ? name : name.source}" is forbidden: exceeded quota: kplex-tenant-limits, ` +
      `requested: ${resource}=\\d+, used: ${resource}=${used}, limited: ${resource}=${limited}$`,
  );

describe('security: per-tenant limits and fair sharing of kplex', () => {
  let s: SecurityEnv;
  let v: HostClient;
  let hog: HostClient;
  let hogLoad: Pick<LoadSpec, 'kubeconfig'>;

  /** Sets a tenant's spec.limits on the host; kplex follows through its watch of Tenant objects. */
  const setLimits = async (tenant: string, limits: Record<string, number | null>): Promise<void> => {
    const r = await s.hostApi.request(
      'PATCH',
      `${TENANTS_PATH}/${tenant}`,
      { spec: { limits } },
      'application/merge-patch+json',
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    // kplex's watch of Tenant objects delivers the change within milliseconds; leave it ample time.
    await new Promise((res) => setTimeout(res, 1_000));
  };

  beforeAll(async () => {
    s = await securityEnv([V, HOG, Q]);
    v = s.api[V]!;
    hog = s.api[HOG]!;
    hogLoad = { kubeconfig: s.kc[HOG]! };
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'victim' }, data: { k: 'v' } };
    expect((await v.request('POST', '/api/v1/namespaces/default/configmaps', cm)).status).toBe(201);
    expect(
      (await hog.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', bigCRD)).status,
    ).toBe(201);
    await until('the Blob CRD to be served', async () => (await hog.request('GET', BIG)).status === 200);
  }, 300_000);

  afterAll(async () => {
    await s?.close();
  });

  attack(
    'exhaustion',
    'a tenant with 384 concurrent clients (ignoring Retry-After) is queued or answered 429; the victim is not',
    async () => {
      let r!: LoadResult;
      const lat = await victimLatency(v, VICTIM_PATH, async () => {
        r = await runLoad({
          ...hogLoad,
          clients: 6,
          n: 4_000,
          concurrency: 384,
          requests: [get('/api/v1/namespaces'), get('/api/v1/namespaces/default/configmaps')],
        }).result;
      });
      onlyStatuses(r, ['200', '429', ATTACKER_TIMEOUTS]);
      expect(r.statuses['200'] ?? 0).toBeGreaterThan(0);
      if (r.statuses['429']) {
        expect(r.retryAfter).toBe('1');
        expect(r.samples['429']).toMatchObject({ kind: 'Status', code: 429, reason: 'TooManyRequests' });
      }
      expect(lat.errors).toBe(0);
      expect(lat.p99).toBeLessThanOrEqual(100);
    },
  );

  attack(
    'exhaustion',
    'heavy LISTs: 31 custom resources of 2.9 MB, 6 concurrent LISTs, 4 rounds',
    async () => {
      const created = await flood(
        31,
        4,
        async (i) => (await hog.request('POST', BIG, blob(`big-${i}`, 2_900_000))).status,
      );
      expect(created.get(201), JSON.stringify([...created])).toBe(31);
      let r!: LoadResult;
      let lat!: LatencyStats;
      const peak = await peakRSS(s.kplexPid, async () => {
        lat = await victimLatency(v, VICTIM_PATH, async () => {
          r = await runLoad({ ...hogLoad, clients: 6, n: 24, concurrency: 6, requests: [get(BIG)] }).result;
        });
      });
      onlyStatuses(r, ['200', '429', ATTACKER_TIMEOUTS]);
      expect(r.statuses['200'] ?? 0).toBeGreaterThan(0);
      expect(lat.p99).toBeLessThanOrEqual(100);
      expect(peak).toBeLessThanOrEqual(1024);
    },
    240_000,
  );

  attack(
    'exhaustion',
    'stalled readers: 24 LISTs of 90 MB left unread hold a page each, not the list',
    async () => {
      let r!: LoadResult;
      let lat!: LatencyStats;
      const peak = await peakRSS(s.kplexPid, async () => {
        lat = await victimLatency(v, VICTIM_PATH, async () => {
          const load = runLoad({
            ...hogLoad,
            clients: 6,
            n: 24,
            concurrency: 24,
            unread: true,
            requests: [get(BIG)],
          });
          r = await load.result;
          // The readers stall for a while, then go away.
          await new Promise((ok) => setTimeout(ok, 3_000));
          await load.close();
        });
      });
      onlyStatuses(r, ['200', '429', ATTACKER_TIMEOUTS]);
      expect(lat.p99).toBeLessThanOrEqual(100);
      expect(peak).toBeLessThanOrEqual(1024);
    },
    180_000,
  );

  attack(
    'exhaustion',
    'shared host pool: 400 concurrent LISTs with a far-future resourceVersion (the host waits, then 504)',
    async () => {
      let r!: LoadResult;
      const lat = await victimLatency(v, VICTIM_PATH, async () => {
        r = await runLoad({ ...hogLoad, clients: 7, n: 400, concurrency: 400, requests: [get(FAR)] }).result;
      });
      onlyStatuses(r, ['504', '429', ATTACKER_TIMEOUTS]);
      expect(lat.errors).toBe(0);
      expect(lat.p99).toBeLessThanOrEqual(100);
    },
    120_000,
  );

  attack(
    'exhaustion',
    'virtual watch flood: watches past the tenant limit are refused 429, and released when closed',
    async () => {
      await setLimits(HOG, { watches: 100 });
      let r!: LoadResult;
      const lat = await victimLatency(v, VICTIM_PATH, async () => {
        const load = runLoad({
          ...hogLoad,
          clients: 1,
          n: 150,
          concurrency: 150,
          hold: true,
          requests: [get('/api/v1/namespaces?watch=true')],
        });
        r = await load.result;
        await load.close();
      });
      expect(r.statuses['200'] ?? 0, JSON.stringify(r.statuses)).toBeLessThanOrEqual(100);
      expect(r.statuses['429'] ?? 0, JSON.stringify(r.statuses)).toBeGreaterThan(0);
      expect(
        (r.statuses['429'] ?? 0) + (r.statuses[ATTACKER_TIMEOUTS] ?? 0),
        JSON.stringify(r.statuses),
      ).toBeGreaterThanOrEqual(50);
      expect(r.samples['429']).toMatchObject({ kind: 'Status', code: 429, reason: 'TooManyRequests' });
      expect(lat.p99).toBeLessThanOrEqual(100);
      // Closed watches give their places back.
      await until('closed watches to be released', async () => {
        const again = new AbortController();
        const code = await openWatch(hog, '/api/v1/namespaces?watch=true', again.signal).catch(() => -1);
        again.abort();
        return code === 200;
      });
    },
  );

  attack(
    'exhaustion',
    'all-namespace watch fan-out: 400 -A configmap watches over 20 namespaces are served by one shared host watch',
    async () => {
      for (let i = 0; i < 20; i++) {
        const ns = `fan-${i}`;
        expect((await hog.request('POST', '/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(
          201,
        );
        const cm = { metadata: { name: 'c' }, data: { k: 'v' } };
        expect((await hog.request('POST', `/api/v1/namespaces/${ns}/configmaps`, cm)).status).toBe(201);
      }
      await setLimits(HOG, { watches: 400, hostWatchStreams: 100 });
      const before = await hostConfigMapWatches(s.hostApi);
      let during!: typeof before;
      let r!: LoadResult;
      let lat!: LatencyStats;
      const peak = await peakRSS(s.kplexPid, async () => {
        lat = await victimLatency(v, VICTIM_PATH, async () => {
          const load = runLoad({
            ...hogLoad,
            clients: 1,
            n: 400,
            concurrency: 400,
            hold: true,
            requests: [get('/api/v1/configmaps?watch=true')],
          });
          r = await load.result;
          during = await hostConfigMapWatches(s.hostApi);
          await load.close();
        });
      });
      // Served from the shared host watch of configmaps (src/hostwatch): the watches are bounded by
      // the tenant's watch limit, not by host streams, and none opens a host watch of its own.
      onlyStatuses(r, ['200', '429', ATTACKER_TIMEOUTS]);
      expect(r.statuses['200'] ?? 0, JSON.stringify(r.statuses)).toBeGreaterThanOrEqual(390);
      expect(during.namespace - before.namespace).toBe(0);
      expect(during.cluster - before.cluster).toBeLessThanOrEqual(1);
      expect(lat.p99).toBeLessThanOrEqual(100);
      expect(peak).toBeLessThanOrEqual(1024);
    },
    180_000,
  );

  attack(
    'exhaustion',
    'namespace flood: namespaces past the limit are refused with 403 exceeded quota',
    async () => {
      await setLimits(Q, { namespaces: 10 });
      let r!: LoadResult;
      const lat = await victimLatency(v, VICTIM_PATH, async () => {
        r = await runLoad({
          kubeconfig: s.kc[Q]!,
          clients: 1,
          n: 200,
          concurrency: 16,
          requests: [
            { method: 'POST', path: '/api/v1/namespaces', body: '{"metadata":{"name":"flood-{i}"}}' },
          ],
        }).result;
      });
      onlyStatuses(r, ['201', '403']);
      // The four namespaces every cluster starts with, and six more.
      expect(r.statuses['201'], JSON.stringify(r.statuses)).toBe(6);
      expect(r.samples['403']).toMatchObject({ kind: 'Status', code: 403, reason: 'Forbidden' });
      expect((r.samples['403'] as { message: string }).message).toMatch(
        quotaMessage('namespaces', /flood-\d+/, 'count/namespaces', '10', '10'),
      );
      expect(lat.p99).toBeLessThanOrEqual(100);
    },
  );

  attack(
    'exhaustion',
    'store bytes: writes that grow the store past its byte limit are refused with 403 exceeded quota',
    async () => {
      const c = s.api[Q]!;
      await setLimits(Q, { storeBytes: 8 * MiB });
      expect(
        (await c.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', bigCRD)).status,
      ).toBe(201);
      await until('the Blob CRD to be served', async () => (await c.request('GET', BIG)).status === 200);
      const statuses: number[] = [];
      let refusal: { status: number; body: unknown } | undefined;
      for (let i = 0; i < 6; i++) {
        const res = await c.request('POST', BIG, blob(`b-${i}`, 2 * MiB));
        statuses.push(res.status);
        if (res.status === 403) refusal ??= res;
      }
      expect(statuses.slice(0, 3)).toEqual([201, 201, 201]);
      expect(statuses.slice(4)).toEqual([403, 403]);
      expectStatus(refusal!, 403, 'Forbidden');
      expect((refusal!.body as { message: string }).message).toMatch(
        quotaMessage('blobs.big.example.com', /b-\d/, 'kplex\\.io/store-bytes', '\\d+', '8388608'),
      );
      // Growing an existing object is a write like any other; shrinking one always passes.
      expect((await c.request('POST', BIG, blob('fill', 1_500_000))).status).toBe(201);
      const current = (await c.request('GET', `${BIG}/b-0`)).body as { spec: { data: string } };
      const grown = await c.request('PUT', `${BIG}/b-0`, {
        ...current,
        spec: { data: 'x'.repeat(2_900_000) },
      });
      expectStatus(grown, 403, 'Forbidden');
      expect((await c.request('PUT', `${BIG}/b-0`, { ...current, spec: { data: 'small' } })).status).toBe(
        200,
      );
    },
  );

  attack(
    'exhaustion',
    'object flood: objects past the limit are refused with 403 exceeded quota',
    async () => {
      await setLimits(Q, { objects: 50 });
      let r!: LoadResult;
      const lat = await victimLatency(v, VICTIM_PATH, async () => {
        r = await runLoad({
          kubeconfig: s.kc[Q]!,
          clients: 1,
          n: 300,
          concurrency: 16,
          requests: [
            {
              method: 'POST',
              path: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
              body: '{"metadata":{"name":"r-{i}"},"rules":[]}',
            },
          ],
        }).result;
      });
      onlyStatuses(r, ['201', '403']);
      expect(r.statuses['201'] ?? 0, JSON.stringify(r.statuses)).toBeLessThanOrEqual(50);
      expect(r.statuses['403'] ?? 0, JSON.stringify(r.statuses)).toBeGreaterThanOrEqual(250);
      expect((r.samples['403'] as { message: string }).message).toMatch(
        quotaMessage('clusterroles.rbac.authorization.k8s.io', /r-\d+/, 'count/objects', '50', '50'),
      );
      expect(lat.p99).toBeLessThanOrEqual(100);
    },
  );

  attack('exhaustion', 'a body over 3 MiB is refused 413 as the apiserver does', async () => {
    const r = await hog.request('POST', BIG, blob('huge', 3 * MiB + 1));
    expectStatus(r, 413, 'RequestEntityTooLarge');
    expect((r.body as { message: string }).message).toBe('Request entity too large: limit is 3145728');
  });

  attack(
    'exhaustion',
    'write flood of 2.9 MB custom resources, 6 writers at a time',
    async () => {
      let r!: LoadResult;
      let lat!: LatencyStats;
      const peak = await peakRSS(s.kplexPid, async () => {
        lat = await victimLatency(v, VICTIM_PATH, async () => {
          r = await runLoad({
            ...hogLoad,
            clients: 6,
            n: 24,
            concurrency: 6,
            pad: 2_900_000,
            requests: [
              {
                method: 'POST',
                path: BIG,
                body: '{"apiVersion":"big.example.com/v1","kind":"Blob","metadata":{"name":"w-{i}"},"spec":{"data":"{pad}"}}',
              },
            ],
          }).result;
        });
      });
      onlyStatuses(r, ['201', '403', '429']);
      expect(lat.p99).toBeLessThanOrEqual(100);
      expect(peak).toBeLessThanOrEqual(1024);
    },
    180_000,
  );

  attack(
    'exhaustion',
    "a tenant's queue past its length is answered 429 TooManyRequests with Retry-After, as API Priority and Fairness",
    async () => {
      await setLimits(Q, { inFlightRequests: 1, queueLength: 1 });
      const c = s.api[Q]!;
      const answers = await Promise.all(Array.from({ length: 20 }, () => c.request('GET', FAR)));
      const refused = answers.filter((x) => x.status === 429);
      // One runs and one waits; the others are refused at once.
      expect(refused.length).toBeGreaterThanOrEqual(10);
      const others = answers.filter((x) => x.status !== 429);
      expect(
        others.every((x) => x.status === 504),
        JSON.stringify(others.map((x) => x.body)),
      ).toBe(true);
      expectStatus(refused[0]!, 429, 'TooManyRequests');
      expect((refused[0]!.body as { message: string }).message).toBe(
        'Too many requests, please try again later.',
      );
      expect(refused[0]!.headers['retry-after']).toBe('1');
    },
  );
});
