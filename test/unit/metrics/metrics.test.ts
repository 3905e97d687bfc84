import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';
import { Agent, request } from 'undici';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseRequestInfo } from '../../../src/api/request-info.js';
import { hostResource } from '../../../src/metrics/host-metrics.js';
import { LabelBudget, OTHER } from '../../../src/metrics/label-budget.js';
import { KplexMetrics } from '../../../src/metrics/metrics.js';
import { parseListen, startMetricsServer } from '../../../src/metrics/metrics-server.js';
import type { ObservedRequest } from '../../../src/metrics/request-metrics.js';

const silent = pino({ level: 'silent' });

/** A response that closes when told to, with the status code the handler set. */
function fakeResponse(): ServerResponse & { finish(code: number): void } {
  const res = new EventEmitter() as ServerResponse & { finish(code: number): void };
  res.finish = (code) => {
    res.statusCode = code;
    res.emit('close');
  };
  return res;
}

function observed(
  tenant: string,
  method: string,
  path: string,
  hostBacked = false,
  routed = true,
): ObservedRequest {
  return {
    tenant: { name: tenant },
    info: parseRequestInfo(method, path, new URLSearchParams()),
    hostBacked,
    routed,
  };
}

/** The value of one sample line of the text exposition (undefined when absent). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('hostResource', () => {
  it.each([
    ['/api/v1/namespaces/t-a/pods/p1', 'pods'],
    ['/api/v1/namespaces/t-a/pods/p1/log?follow=true', 'pods/log'],
    ['/apis/apps/v1/namespaces/t-a/deployments', 'deployments.apps'],
    ['/apis/apps/v1/deployments?watch=true', 'deployments.apps'],
    ['/api/v1/namespaces/t-a', 'namespaces'],
    ['/api/v1/namespaces', 'namespaces'],
    ['/api/v1/nodes/n1/status', 'nodes/status'],
    ['/apis/kplex.io/v1alpha1/tenants', 'tenants.kplex.io'],
    ['/readyz', ''],
    ['/version', ''],
    ['/apis', ''],
  ])('%s is %s', (path, want) => expect(hostResource(path)).toBe(want));
});

describe('LabelBudget', () => {
  it('admits up to max values, only when asked, then answers other', () => {
    const b = new LabelBudget(2);
    expect(b.label('a', false)).toBe(OTHER);
    expect(b.label('a', true)).toBe('a');
    expect(b.label('b', true)).toBe('b');
    expect(b.label('c', true)).toBe(OTHER);
    expect(b.label('a', false)).toBe('a');
  });
});

describe('request metrics', () => {
  it('counts and times a request by verb, resource, code and placement when it closes', async () => {
    const m = new KplexMetrics();
    const res = fakeResponse();
    const ctx = observed('t1', 'POST', '/apis/apps/v1/namespaces/ns/deployments', true);
    m.requests.track(res, () => ctx);
    const during = await m.render();
    expect(sample(during, 'kplex_requests_in_flight{verb="create"}')).toBe(1);
    res.finish(201);
    const text = await m.render();
    const labels = 'verb="create",resource="deployments.apps",code="201",placement="host"';
    expect(sample(text, `kplex_requests_total{${labels}}`)).toBe(1);
    expect(sample(text, `kplex_request_duration_seconds_count{${labels}}`)).toBe(1);
    expect(text).not.toContain('kplex_requests_in_flight{');
    expect(text).not.toContain('t1');
  });

  it('labels a request refused before it was parsed with no verb or resource, as virtual', async () => {
    const m = new KplexMetrics();
    const res = fakeResponse();
    m.requests.track(res, () => undefined);
    res.finish(401);
    expect(
      sample(await m.render(), 'kplex_requests_total{verb="",resource="",code="401",placement="virtual"}'),
    ).toBe(1);
  });

  it('counts open watches, and does not time long-running requests', async () => {
    const m = new KplexMetrics();
    const res = fakeResponse();
    m.requests.track(res, () => observed('t', 'GET', '/api/v1/namespaces/ns/configmaps'));
    const w = fakeResponse();
    m.requests.track(w, () => ({
      tenant: { name: 't' },
      info: parseRequestInfo('GET', '/api/v1/configmaps', new URLSearchParams('watch=true')),
      hostBacked: true,
      routed: true,
    }));
    const open = await m.render();
    expect(sample(open, 'kplex_watches_open')).toBe(1);
    w.finish(200);
    res.finish(200);
    const text = await m.render();
    expect(sample(text, 'kplex_watches_open')).toBe(0);
    expect(
      sample(text, 'kplex_requests_total{verb="watch",resource="configmaps",code="200",placement="host"}'),
    ).toBe(1);
    expect(text).not.toContain('kplex_request_duration_seconds_count{verb="watch"');
  });

  it("gives resources outside the tenant's table no label of their own", async () => {
    const m = new KplexMetrics();
    for (let i = 0; i < 3; i++) {
      const res = fakeResponse();
      m.requests.track(res, () => observed('t', 'GET', `/apis/evil.example/v1/made-up-${i}`, false, false));
      res.finish(404);
    }
    const text = await m.render();
    expect(text).not.toContain('made-up');
    expect(
      sample(text, 'kplex_requests_total{verb="list",resource="other",code="404",placement="virtual"}'),
    ).toBe(3);
  });

  it('exports per-tenant counts only for the N busiest tenants when asked', async () => {
    const none = new KplexMetrics();
    const top = new KplexMetrics({ tenantSeries: 2 });
    const counts = { a: 3, b: 1, c: 2 };
    for (const m of [none, top])
      for (const [t, n] of Object.entries(counts))
        for (let i = 0; i < n; i++) {
          const res = fakeResponse();
          m.requests.track(res, () => observed(t, 'GET', '/api/v1/namespaces'));
          res.finish(200);
        }
    expect(await none.render()).not.toContain('kplex_tenant_requests_total');
    const text = await top.render();
    expect(sample(text, 'kplex_tenant_requests_total{tenant="a"}')).toBe(3);
    expect(sample(text, 'kplex_tenant_requests_total{tenant="c"}')).toBe(2);
    expect(text).not.toContain('tenant="b"');
    top.tenants?.forget('a');
    expect(sample(await top.render(), 'kplex_tenant_requests_total{tenant="b"}')).toBe(1);
  });

  it('reads gauges at scrape time', async () => {
    const m = new KplexMetrics();
    let n = 1;
    m.gauge({ name: 'kplex_test_things', help: 'things', read: () => n });
    expect(sample(await m.render(), 'kplex_test_things')).toBe(1);
    n = 5;
    expect(sample(await m.render(), 'kplex_test_things')).toBe(5);
  });
});

describe('host request metrics', () => {
  it("times requests to the host's origin only, by method, resource and code", async () => {
    const server = http.createServer((req, res) =>
      res.writeHead(req.url?.includes('missing') ? 404 : 200).end('{}'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const m = new KplexMetrics({ hostOrigin: origin });
    const other = new KplexMetrics({ hostOrigin: 'http://127.0.0.1:1' });
    const agent = new Agent();
    try {
      for (const p of ['/api/v1/namespaces/x/pods', '/api/v1/namespaces/x/pods/missing'])
        await (await request(origin + p, { dispatcher: agent })).body.text();
      const text = await m.render();
      expect(sample(text, 'kplex_host_requests_total{verb="GET",resource="pods",code="200"}')).toBe(1);
      expect(sample(text, 'kplex_host_requests_total{verb="GET",resource="pods",code="404"}')).toBe(1);
      expect(
        sample(text, 'kplex_host_request_duration_seconds_count{verb="GET",resource="pods",code="200"}'),
      ).toBe(1);
      expect(await other.render()).not.toContain('kplex_host_requests_total{');
    } finally {
      m.close();
      other.close();
      await agent.close();
      server.close();
    }
  });
});

describe('metrics server', () => {
  it('parses ip:port and [ipv6]:port, nothing else', () => {
    expect(parseListen('127.0.0.1:9090')).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    for (const bad of ['9090', '127.0.0.1', '127.0.0.1:99999', 'a:b:1', ':9090'])
      expect(() => parseListen(bad)).toThrow(/not ip:port/);
  });

  it('serves GET /metrics only', async () => {
    const m = new KplexMetrics();
    const s = await startMetricsServer(m, '127.0.0.1:0', silent);
    try {
      const ok = await request(s.url);
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['content-type']).toContain('text/plain; version=0.0.4');
      expect(await ok.body.text()).toContain('# TYPE kplex_requests_total counter');
      const other = await request(s.url.replace('/metrics', '/debug/pprof'));
      expect(other.statusCode).toBe(404);
      await other.body.dump();
      const post = await request(s.url, { method: 'POST', body: 'x' });
      expect(post.statusCode).toBe(405);
      await post.body.dump();
    } finally {
      await s.close();
    }
  });
});
