// A thin HTTP client for both sides of a comparison (kplex tenant endpoints and the host), so
// both pay exactly the same client cost: undici, JSON bodies, one keep-alive pool per target.
import { performance } from 'node:perf_hooks';
import { Agent, type Dispatcher } from 'undici';

export interface Target {
  agent: Agent;
  /** scheme://host:port */
  origin: string;
  /** Path prefix: `/clusters/<tenant>` for a tenant, '' for the host. */
  base: string;
  token?: string;
  /** Accept header (default application/json). */
  accept?: string;
}

export interface Reply {
  status: number;
  text: string;
}

export interface AgentOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Connections per origin; undefined = unlimited (one per watch). */
  connections?: number;
}

export function makeAgent(o: AgentOptions): Agent {
  return new Agent({
    connect: { ca: o.ca, cert: o.cert, key: o.key, rejectUnauthorized: !!o.ca },
    connections: o.connections,
    keepAliveTimeout: 60_000,
    pipelining: 1,
  });
}

function headers(t: Target, extra: Record<string, string>): Record<string, string> {
  return {
    accept: t.accept ?? 'application/json',
    ...(t.token ? { authorization: `Bearer ${t.token}` } : {}),
    ...extra,
  };
}

export async function call(
  t: Target,
  method: Dispatcher.HttpMethod,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Reply> {
  const res = await t.agent.request({
    origin: t.origin,
    path: t.base + path,
    method,
    headers: headers(t, body !== undefined ? { 'content-type': contentType } : {}),
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    headersTimeout: 60_000,
    bodyTimeout: 120_000,
  });
  return { status: res.statusCode, text: await res.body.text() };
}

/** A call that must answer one of `ok` (default 2xx); returns the parsed body. */
export async function must<T = Record<string, unknown>>(
  t: Target,
  method: Dispatcher.HttpMethod,
  path: string,
  body?: unknown,
  ok: number[] = [],
): Promise<T> {
  const r = await call(t, method, path, body);
  if (!(r.status >= 200 && r.status < 300) && !ok.includes(r.status)) {
    throw new Error(`${method} ${t.base}${path}: ${r.status} ${r.text.slice(0, 300)}`);
  }
  return (r.text ? JSON.parse(r.text) : {}) as T;
}

export interface WatchEvent {
  type: string;
  object: { metadata?: { name?: string; namespace?: string; resourceVersion?: string } };
}

export interface WatchHandle {
  /** Resolves when the server answered the watch request (it is registered server-side). */
  ready: Promise<void>;
  /** Resolves when the stream ended. */
  done: Promise<void>;
  stop(): void;
}

/** Opens a JSON watch; `onEvent` gets each event and the performance.now() it arrived at. */
export function openWatch(
  t: Target,
  path: string,
  onEvent: (e: WatchEvent, at: number) => void,
): WatchHandle {
  const abort = new AbortController();
  let readyResolve!: () => void;
  let readyReject!: (e: unknown) => void;
  const ready = new Promise<void>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  const done = (async () => {
    try {
      const res = await t.agent.request({
        origin: t.origin,
        path: t.base + path,
        method: 'GET',
        headers: headers(t, {}),
        signal: abort.signal,
        headersTimeout: 60_000,
        bodyTimeout: 0,
      });
      if (res.statusCode !== 200)
        throw new Error(`watch ${t.base}${path}: ${res.statusCode} ${(await res.body.text()).slice(0, 200)}`);
      readyResolve();
      let buf = '';
      for await (const chunk of res.body) {
        const at = performance.now();
        buf += (chunk as Buffer).toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) onEvent(JSON.parse(line) as WatchEvent, at);
        }
      }
    } catch (err) {
      readyReject(err);
    }
  })();
  ready.catch(() => undefined);
  return { ready, done, stop: () => abort.abort() };
}
