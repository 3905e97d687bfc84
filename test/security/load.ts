// An attacking tenant's load, run in a process of its own (`node --import tsx load.ts <spec>`) so
// the test process that times the victim's GETs is not slowed by the attacker's own work (TLS,
// reading hundreds of megabytes of LIST bodies). Prints one JSON line of results on stdout; with
// `hold`, keeps its connections open until stdin closes.
import type { Dispatcher } from 'undici';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { apiClient } from '../helpers/api-client.js';

export interface LoadRequest {
  method: string;
  /** `{i}` is replaced by the request's index. */
  path: string;
  /** A JSON body; `{i}` is replaced by the index and `{pad}` by `pad` bytes of 'x'. */
  body?: string;
  contentType?: string;
}

export interface LoadSpec {
  kubeconfig: string;
  /** Independent clients (64 connections each; long-running requests get one connection each). */
  clients: number;
  n: number;
  concurrency: number;
  /** Requests are taken round-robin by index. */
  requests: LoadRequest[];
  pad?: number;
  /** Long-running requests (watches): opened on the stream pool and kept open until stdin closes. */
  hold?: boolean;
  /** Leave response bodies unread (a stalled reader) until stdin closes. */
  unread?: boolean;
  /** Wait Retry-After on a 429 before the next request, as client-go does. */
  honorRetryAfter?: boolean;
}

export interface LoadResult {
  statuses: Record<string, number>;
  /** The first body seen for each status other than 2xx. */
  samples: Record<string, unknown>;
  retryAfter?: string;
}

async function main(spec: LoadSpec): Promise<void> {
  const clients: HostClient[] = [];
  for (let i = 0; i < spec.clients; i++) clients.push(await apiClient(spec.kubeconfig));
  const pad = 'x'.repeat(spec.pad ?? 0);
  const result: LoadResult = { statuses: {}, samples: {} };
  const held: Dispatcher.ResponseData[] = [];
  const abort = new AbortController();
  const one = async (i: number): Promise<void> => {
    const r = spec.requests[i % spec.requests.length]!;
    const c = clients[i % clients.length]!;
    let status: number;
    try {
      const res = await (spec.hold ? c.streams : c.dispatcher).request({
        origin: c.origin,
        path: c.basePath + r.path.replaceAll('{i}', String(i)),
        method: r.method as Dispatcher.HttpMethod,
        headers: c.headers({
          accept: 'application/json',
          ...(r.body ? { 'content-type': r.contentType ?? 'application/json' } : {}),
        }),
        body: r.body?.replaceAll('{i}', String(i)).replace('{pad}', pad),
        signal: abort.signal,
        headersTimeout: 60_000,
        bodyTimeout: spec.hold ? 0 : 120_000,
      });
      status = res.statusCode;
      res.body.on('error', () => {});
      if (status >= 300) {
        const text = await res.body.text();
        result.samples[String(status)] ??= JSON.parse(text) as unknown;
        if (status === 429) result.retryAfter = String(res.headers['retry-after']);
      } else if (spec.hold || spec.unread) {
        held.push(res);
        if (spec.hold) res.body.resume();
      } else await res.body.dump({ limit: Infinity });
      if (status === 429 && spec.honorRetryAfter)
        await new Promise((ok) => setTimeout(ok, Number(result.retryAfter ?? 1) * 1000));
    } catch (err) {
      status = -1;
      result.samples['-1'] ??= String((err as { code?: string }).code ?? err);
    }
    result.statuses[String(status)] = (result.statuses[String(status)] ?? 0) + 1;
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(spec.n, spec.concurrency) }, async () => {
      while (next < spec.n) await one(next++);
    }),
  );
  process.stdout.write(JSON.stringify(result) + '\n');
  if (spec.hold || spec.unread) {
    await new Promise((ok) => {
      process.stdin.on('end', ok);
      process.stdin.on('close', ok);
      process.stdin.resume();
    });
    abort.abort();
    for (const r of held) r.body.destroy();
  }
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  process.exit(0);
}

if (process.argv[2]) void main(JSON.parse(process.argv[2]) as LoadSpec);
