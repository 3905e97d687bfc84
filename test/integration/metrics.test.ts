// /metrics of a real kplex scraped before and after real kubectl requests: the series of each
// kind of request move, names and types are what the docs say, and tenant endpoints do not serve it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

interface Scrape {
  types: Map<string, string>;
  samples: Map<string, number>;
}

/** The text exposition format: `# TYPE name type` lines and `series value` lines. */
function parse(text: string): Scrape {
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) types.set(t[1]!, t[2]!);
    else if (line && !line.startsWith('#')) {
      const i = line.lastIndexOf(' ');
      samples.set(line.slice(0, i), Number(line.slice(i + 1)));
    }
  }
  return { types, samples };
}

const get = (s: Scrape, series: string): number => s.samples.get(series) ?? 0;

describe('/metrics', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;
  let url: string;

  const scrape = async (): Promise<Scrape> => {
    const res = await request(url);
    expect(res.statusCode).toBe(200);
    return parse(await res.body.text());
  };

  /** Scrapes until `ok` holds (bounded: 200 scrapes). */
  const scrapeUntil = async (ok: (s: Scrape) => boolean): Promise<Scrape> => {
    for (let i = 0; i < 200; i++) {
      const s = await scrape();
      if (ok(s)) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('metrics never reached the expected state');
  };

  beforeAll(async () => {
    env = await startTenantEnv(host, ['--metrics-listen', '127.0.0.1:0', '--metrics-tenant-series', '1']);
    const line = env.kplex.logs.find((l) => l.includes('"metricsUrl"'));
    url = (JSON.parse(line ?? '{}') as { metricsUrl: string }).metricsUrl;
    kc = await env.tenant('metrics-busy');
    await env.tenant('metrics-quiet');
  });
  afterAll(async () => env?.close());

  it('listens where --metrics-listen says, over plain HTTP', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  });

  it('names its series with the documented types', async () => {
    const s = await scrape();
    const want: [string, string][] = [
      ['kplex_requests_total', 'counter'],
      ['kplex_request_duration_seconds', 'histogram'],
      ['kplex_requests_in_flight', 'gauge'],
      ['kplex_watches_open', 'gauge'],
      ['kplex_host_requests_total', 'counter'],
      ['kplex_host_request_duration_seconds', 'histogram'],
      ['kplex_tenants', 'gauge'],
      ['kplex_tenant_runtimes_loaded', 'gauge'],
      ['kplex_store_open_handles', 'gauge'],
      ['kplex_store_files', 'gauge'],
      ['kplex_store_bytes', 'gauge'],
      ['kplex_tenant_requests_total', 'counter'],
      ['process_resident_memory_bytes', 'gauge'],
    ];
    for (const [name, type] of want) expect(s.types.get(name), name).toBe(type);
    expect(get(s, 'kplex_tenants')).toBeGreaterThanOrEqual(2);
  });

  it('moves the request, latency and host series after real kubectl requests', async () => {
    const before = await scrape();
    kubectlOk(kc, ['create', 'configmap', 'm1', '--from-literal=a=b']);
    kubectlOk(kc, ['get', 'configmaps']);
    kubectlOk(kc, ['create', 'clusterrole', 'm-reader', '--verb=get', '--resource=pods']);
    kubectlOk(kc, ['get', 'clusterroles']);
    expect(kubectl(kc, ['get', 'namespace', 'no-such-namespace']).code).not.toBe(0);
    const after = await scrape();
    const moved = (series: string): number => get(after, series) - get(before, series);

    const hostCreate = 'verb="create",resource="configmaps",code="201",placement="host"';
    expect(moved(`kplex_requests_total{${hostCreate}}`)).toBe(1);
    expect(moved(`kplex_request_duration_seconds_count{${hostCreate}}`)).toBe(1);
    expect(moved(`kplex_request_duration_seconds_bucket{le="+Inf",${hostCreate}}`)).toBe(1);
    expect(moved('kplex_requests_total{verb="list",resource="configmaps",code="200",placement="host"}')).toBe(
      1,
    );
    const virtualCreate =
      'verb="create",resource="clusterroles.rbac.authorization.k8s.io",code="201",placement="virtual"';
    expect(moved(`kplex_requests_total{${virtualCreate}}`)).toBe(1);
    expect(moved(`kplex_request_duration_seconds_sum{${virtualCreate}}`)).toBeGreaterThan(0);
    expect(
      moved(
        'kplex_requests_total{verb="list",resource="clusterroles.rbac.authorization.k8s.io",code="200",placement="virtual"}',
      ),
    ).toBe(1);
    expect(
      moved('kplex_requests_total{verb="get",resource="namespaces",code="404",placement="virtual"}'),
    ).toBe(1);
    // The host saw the configmap's POST (and kplex's own calls on the same pool are counted too).
    expect(moved('kplex_host_requests_total{verb="POST",resource="configmaps",code="201"}')).toBe(1);
    expect(
      moved('kplex_host_request_duration_seconds_count{verb="POST",resource="configmaps",code="201"}'),
    ).toBe(1);
    expect(get(after, 'kplex_store_open_handles')).toBeGreaterThanOrEqual(1);
    expect(get(after, 'kplex_tenant_runtimes_loaded')).toBeGreaterThanOrEqual(1);
  });

  it('exports only the busiest tenant with --metrics-tenant-series 1', async () => {
    const s = await scrape();
    const tenants = [...s.samples.keys()].filter((k) => k.startsWith('kplex_tenant_requests_total{'));
    expect(tenants).toEqual(['kplex_tenant_requests_total{tenant="metrics-busy"}']);
  });

  it('counts an open watch while it is open', async () => {
    const base = get(await scrape(), 'kplex_watches_open');
    const watch = spawn('kubectl', ['--kubeconfig', kc, 'get', 'configmaps', '--watch'], { stdio: 'ignore' });
    try {
      await scrapeUntil((s) => get(s, 'kplex_watches_open') === base + 1);
      const s = await scrape();
      expect(get(s, 'kplex_requests_in_flight{verb="watch"}')).toBeGreaterThanOrEqual(1);
    } finally {
      watch.kill();
    }
    const closed = await scrapeUntil((s) => get(s, 'kplex_watches_open') === base);
    expect(
      get(closed, 'kplex_requests_total{verb="watch",resource="configmaps",code="200",placement="host"}'),
    ).toBe(1);
  });

  it('is not served on the tenant endpoints', async () => {
    const dispatcher = new Agent({ connect: { ca: readFileSync(path.join(env.dataDir, 'pki', 'ca.crt')) } });
    try {
      for (const p of ['/metrics', '/clusters/metrics-busy/metrics']) {
        const res = await request(env.kplex.url + p, { dispatcher });
        const body = await res.body.text();
        expect(res.statusCode, p).not.toBe(200);
        expect(body).not.toContain('kplex_requests_total');
      }
    } finally {
      await dispatcher.close();
    }
  });
});
