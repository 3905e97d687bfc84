// Latency of kplex's requests to the host, from undici's diagnostics channels: every request on
// the shared pools (kplex's own calls, passthrough, informers) is timed from its creation (so
// time queued for a pooled connection counts) to the host's response headers, without a hook in
// the host client. Requests to other origins (node's own fetch publishes too) are ignored.
import diagnostics from 'node:diagnostics_channel';
import { Counter, Histogram, type Registry } from 'prom-client';

interface UndiciRequest {
  origin?: string | URL;
  method?: string;
  path?: string;
}

/** The resource of a host API path: `pods`, `deployments.apps`, `pods/log`; '' for other paths. */
export function hostResource(path: string): string {
  const segs = (path.split('?')[0] ?? '').split('/').filter(Boolean);
  let rest: string[];
  let group = '';
  if (segs[0] === 'api') rest = segs.slice(2);
  else if (segs[0] === 'apis' && segs.length >= 3) {
    group = segs[1] ?? '';
    rest = segs.slice(3);
  } else return '';
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource, , sub] = rest;
  if (!resource) return '';
  return `${resource}${group ? `.${group}` : ''}${sub ? `/${sub}` : ''}`;
}

/** Host latencies are those of a remote apiserver: 5 ms to 60 s. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function observeHostRequests(registry: Registry, hostOrigin: string): () => void {
  const origin = hostOrigin.replace(/\/+$/, '');
  const started = new WeakMap<object, number>();
  const labels = ['verb', 'resource', 'code'] as const;
  const total = new Counter({
    name: 'kplex_host_requests_total',
    help: 'Requests kplex sent to the host, by HTTP method, host resource and status code (code "error": no response)',
    labelNames: labels,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'kplex_host_request_duration_seconds',
    help: "Time from a host request's creation (queueing for a pooled connection included) to the host's response headers",
    labelNames: labels,
    buckets: BUCKETS,
    registers: [registry],
  });
  const ours = (r: UndiciRequest): boolean => {
    const o = typeof r.origin === 'string' ? r.origin : r.origin?.origin;
    return o?.replace(/\/+$/, '') === origin;
  };
  const done = (r: UndiciRequest, code: string): void => {
    const t0 = started.get(r);
    if (t0 === undefined) return;
    started.delete(r);
    const l = { verb: r.method ?? '', resource: hostResource(r.path ?? ''), code };
    total.inc(l);
    duration.observe(l, (performance.now() - t0) / 1000);
  };
  const onCreate = (m: unknown): void => {
    const r = (m as { request: UndiciRequest }).request;
    if (ours(r)) started.set(r, performance.now());
  };
  const onHeaders = (m: unknown): void => {
    const { request, response } = m as { request: UndiciRequest; response: { statusCode: number } };
    done(request, String(response.statusCode));
  };
  const onError = (m: unknown): void => done((m as { request: UndiciRequest }).request, 'error');
  diagnostics.subscribe('undici:request:create', onCreate);
  diagnostics.subscribe('undici:request:headers', onHeaders);
  diagnostics.subscribe('undici:request:error', onError);
  return () => {
    diagnostics.unsubscribe('undici:request:create', onCreate);
    diagnostics.unsubscribe('undici:request:headers', onHeaders);
    diagnostics.unsubscribe('undici:request:error', onError);
  };
}
