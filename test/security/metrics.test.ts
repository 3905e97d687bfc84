// /metrics: served only on its own listener, naming no tenant and no host namespace by default,
// and no request a tenant can make grows its series without bound.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { attack, expectStatus, securityEnv, type SecurityEnv } from './harness.js';

describe('metrics', () => {
  let s: SecurityEnv;
  let url: string;
  const scrape = async (): Promise<string> => {
    const res = await request(url);
    expect(res.statusCode).toBe(200);
    return res.body.text();
  };
  const series = (text: string, name: string): number =>
    text.split('\n').filter((l) => l.startsWith(`${name}{`)).length;

  beforeAll(async () => {
    s = await securityEnv(['mx-alpha', 'mx-beta'], { kplexArgs: ['--metrics-listen', '127.0.0.1:0'] });
    const line = s.env.kplex.logs.find((l) => l.includes('"metricsUrl"'));
    url = (JSON.parse(line ?? '{}') as { metricsUrl: string }).metricsUrl;
    for (const t of ['mx-alpha', 'mx-beta']) {
      await s.api[t]!.request('POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'mx' },
      });
      await s.api[t]!.request('POST', '/api/v1/namespaces/mx/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c' },
      });
    }
  });
  afterAll(async () => s?.close());

  attack('leaks', 'a tenant asks for /metrics on the tenant port, with and without its prefix', async () => {
    for (const p of ['/metrics', '/api/v1/../../metrics', '/metrics?format=prometheus']) {
      const res = await s.api['mx-alpha']!.request('GET', p);
      expect(res.status, p).not.toBe(200);
      expect(JSON.stringify(res.body)).not.toContain('kplex_requests_total');
    }
  });

  attack('leaks', 'the scrape names no tenant by default', async () => {
    const text = await scrape();
    expect(text).toContain('kplex_requests_total{');
    expect(text).not.toContain('mx-alpha');
    expect(text).not.toContain('mx-beta');
    expect(text).not.toContain('kplex_tenant_requests_total{');
  });

  attack('leaks', 'the scrape names no host namespace, object name or path', async () => {
    const text = await scrape();
    const hostNs = await s.hostApi.request<{ items: { metadata: { name: string } }[] }>(
      'GET',
      '/api/v1/namespaces?labelSelector=kplex.io%2Ftenant%3Dmx-alpha',
    );
    for (const ns of hostNs.body.items) expect(text).not.toContain(ns.metadata.name);
    expect(text).not.toMatch(/\/api\/v1\/namespaces\//);
  });

  attack(
    'exhaustion',
    '2,000 requests for made-up resources add at most one series',
    async () => {
      const before = series(await scrape(), 'kplex_requests_total');
      for (let i = 0; i < 2000; i += 50)
        await Promise.all(
          Array.from({ length: 50 }, (_, j) =>
            s.api['mx-alpha']!.request('GET', `/apis/evil${i + j}.example/v1/things${i + j}`),
          ),
        );
      const text = await scrape();
      expect(series(text, 'kplex_requests_total') - before).toBeLessThanOrEqual(2);
      expect(text).not.toContain('evil1');
    },
    300_000,
  );

  attack('exhaustion', 'namespaced made-up resources and subresources add no labels either', async () => {
    for (let i = 0; i < 200; i++) {
      const res = await s.api['mx-beta']!.request('GET', `/api/v1/namespaces/mx/made${i}/x/sub${i}`);
      expectStatus(res, 404, 'NotFound');
    }
    const text = await scrape();
    expect(text).not.toMatch(/made\d|sub\d/);
  });

  attack('malformed', 'the metrics listener answers only GET and HEAD of /metrics', async () => {
    for (const [method, path] of [
      ['POST', '/metrics'],
      ['PUT', '/metrics'],
      ['DELETE', '/metrics'],
      ['GET', '/'],
      ['GET', '/metrics/'],
      ['GET', '/debug/pprof'],
      ['GET', '/clusters/mx-alpha/api'],
    ] as const) {
      const res = await request(url.replace('/metrics', path), { method });
      await res.body.dump();
      expect(res.statusCode, `${method} ${path}`).toBe(method === 'GET' ? 404 : 405);
    }
    const head = await request(url, { method: 'HEAD' });
    await head.body.dump();
    expect(head.statusCode).toBe(200);
  });
});
