// The request log: exactly one structured line per tenant request, written when its response
// closes, naming tenant, user, verb, resource, code and latency; the same end as the metrics.
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { forbidden } from '../../../src/api/status.js';
import { KplexMetrics } from '../../../src/metrics/metrics.js';
import { tenantPipeline } from '../../../src/server/pipeline.js';
import { requestLog } from '../../../src/server/request-log.js';
import type { PipelineDeps } from '../../../src/server/stage.js';

interface Line {
  msg: string;
  tenant?: string;
  user?: string;
  verb?: string;
  resource?: string;
  namespace?: string;
  code?: number;
  latencyMs?: number;
}

function capture(): { logger: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Line);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

async function serve(deps: Partial<PipelineDeps>, paths: string[]): Promise<number[]> {
  const handler = tenantPipeline({
    tenantUid: (n) => (n === 'acme' ? 'u-1' : undefined),
    tenantExists: (n) => n === 'acme',
    runtimes: undefined as never,
    authn: { authenticate: async () => ({ username: 'alice', groups: ['dev'] }) },
    authz: {
      authorize: async (_t, a) => {
        if (a.resource === 'secrets') throw forbidden({ group: '', resource: 'secrets' }, '', 'no');
      },
    },
    logger: pino({ level: 'silent' }),
    hostVersion: () => ({ gitVersion: 'v1.32.0' }) as never,
    ...deps,
  });
  const server = createServer((req, res) => {
    const m = /^\/clusters\/([^/]+)(.*)$/.exec(req.url ?? '');
    void handler(req, res, m?.[1] ?? '', (m?.[2] ?? '').split('?')[0] ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  try {
    const codes: number[] = [];
    for (const p of paths) {
      const res = await fetch(`http://127.0.0.1:${port}${p}`, { headers: { authorization: 'Bearer x' } });
      await res.arrayBuffer();
      codes.push(res.status);
    }
    return codes;
  } finally {
    server.close();
  }
}

describe('request log', () => {
  it('writes exactly one line per request with tenant, user, verb, resource, code and latency', async () => {
    const { logger, lines } = capture();
    const codes = await serve({ requestLog: requestLog(logger) }, [
      '/clusters/acme/api/v1/namespaces/default/secrets',
      '/clusters/acme/version',
    ]);
    expect(codes).toEqual([403, 200]);
    // The line is written when the server side of the response closes, just after the client has it.
    await vi.waitFor(() => expect(lines).toHaveLength(2));
    expect(lines[0]).toMatchObject({
      msg: 'request',
      tenant: 'acme',
      user: 'alice',
      verb: 'list',
      resource: 'secrets',
      namespace: 'default',
      code: 403,
    });
    expect(lines[1]).toMatchObject({
      tenant: 'acme',
      user: 'alice',
      verb: 'get',
      resource: '/version',
      code: 200,
    });
    for (const l of lines) expect(l.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('bounds what a line repeats of a path the client chose', async () => {
    const { logger, lines } = capture();
    await serve({ requestLog: requestLog(logger) }, [`/clusters/acme/${'x'.repeat(5000)}`]);
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    expect(lines[0]!.resource).toBe(`/${'x'.repeat(255)}...`);
  });

  it('logs a request refused before authentication with the tenant it named and no user', async () => {
    const { logger, lines } = capture();
    expect(await serve({ requestLog: requestLog(logger) }, ['/clusters/ghost/version'])).toEqual([401]);
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    expect(lines[0]).toMatchObject({ tenant: 'ghost', code: 401 });
    expect(lines[0]!.user).toBeUndefined();
  });

  it('shares the response end with the metrics: both see the request once', async () => {
    const { logger, lines } = capture();
    const metrics = new KplexMetrics();
    await serve({ requestLog: requestLog(logger), metrics: metrics.requests }, ['/clusters/acme/version']);
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    expect(await metrics.render()).toMatch(
      /kplex_requests_total\{verb="get",resource="",code="200",placement="virtual"\} 1/,
    );
    metrics.close();
  });

  it('adds one response listener for log and metrics together, none without either', async () => {
    const added: number[] = [];
    const metrics = new KplexMetrics();
    for (const deps of [
      { requestLog: requestLog(pino({ level: 'silent' })), metrics: metrics.requests },
      {},
    ]) {
      const handler = tenantPipeline({
        tenantUid: () => undefined,
        tenantExists: () => false,
        runtimes: undefined as never,
        authn: undefined as never,
        authz: undefined as never,
        logger: pino({ level: 'silent' }),
        hostVersion: () => ({}) as never,
        ...deps,
      });
      const server = createServer((req, res) => {
        const before = res.listenerCount('close');
        // The listener is added before the handler's first await.
        void handler(req, res, 'ghost', '/version');
        added.push(res.listenerCount('close') - before);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/`);
      await res.arrayBuffer();
      server.close();
      expect(res.status).toBe(401);
    }
    expect(added).toEqual([1, 0]);
    metrics.close();
  });
});
