// ONE pooled connection set to the host, shared by every tenant (design brief: performance
// principles). JSON helpers for kplex's own calls; passthrough (src/host/) streams on the same pool.
import tls from 'node:tls';
import { Agent, type Dispatcher } from 'undici';
import type { HostConnection } from './host-config.js';
import { HostShares } from '../limits/host-shares.js';
import type { TenantLimits } from '../limits/limits.js';

/** Connections of the shared pool for short requests (also the seats tenants share fairly). */
const POOL_CONNECTIONS = 64;

export interface HostResponse<T = unknown> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

export class HostClient {
  readonly dispatcher: Dispatcher;
  /**
   * Long-lived streams (watches, followed logs) each hold an HTTP/1.1 connection for minutes: they
   * get their own unbounded pool so they never starve short requests of `dispatcher`'s connections.
   */
  readonly streams: Dispatcher;
  /** Each tenant's share of the pool (seats for short requests, a count of long streams). */
  readonly shares = new HostShares(POOL_CONNECTIONS);
  /** scheme://host:port of the server. */
  readonly origin: string;
  /** The server URL's path (e.g. `/clusters/t` of a kplex tenant), prefixed to every request. */
  readonly basePath: string;
  /** The host's CA and kplex's client credential, parsed once for all connections. */
  readonly secureContext: tls.SecureContext;

  constructor(readonly conn: HostConnection) {
    const url = new URL(conn.server);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    // One parsed TLS context for every connection to the host: built per connection (from PEM),
    // it cost ~2 ms of the event loop each, and a watch across 20 namespaces opens 20 connections
    // at once (a 200-400 ms stall for every tenant, measured in the -A watch fan-out attack).
    this.secureContext = tls.createSecureContext({ ca: conn.ca, cert: conn.cert, key: conn.key });
    const connect = {
      secureContext: this.secureContext,
      rejectUnauthorized: !conn.insecureSkipTLSVerify,
    };
    this.dispatcher = new Agent({
      connect,
      keepAliveTimeout: 60_000,
      connections: POOL_CONNECTIONS,
      pipelining: 1,
    });
    this.streams = new Agent({ connect, keepAliveTimeout: 10_000, pipelining: 1 });
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.conn.token ? { authorization: `Bearer ${this.conn.token}` } : {}), ...extra };
  }

  /** A JSON request; non-JSON bodies come back as text. Never throws on HTTP status. */
  async request<T = unknown>(
    method: Dispatcher.HttpMethod,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<HostResponse<T>> {
    const res = await this.dispatcher.request({
      origin: this.origin,
      path: this.basePath + path,
      method,
      headers: this.headers({
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': contentType } : {}),
      }),
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 30_000,
      bodyTimeout: 60_000,
    });
    const text = await res.body.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // keep text
    }
    return { status: res.statusCode, body: parsed as T, headers: res.headers };
  }

  /** Like request, but a status outside 2xx (other than those in `ok`) throws with the host's message. */
  async must<T = unknown>(
    method: Dispatcher.HttpMethod,
    path: string,
    body?: unknown,
    ok: number[] = [],
  ): Promise<HostResponse<T>> {
    const res = await this.request<T>(method, path, body);
    if ((res.status < 200 || res.status >= 300) && !ok.includes(res.status)) {
      const msg = (res.body as { message?: string } | undefined)?.message ?? String(res.body);
      throw new Error(`host ${method} ${path}: ${res.status} ${msg}`);
    }
    return res;
  }

  /**
   * `n` long-lived streams taken together (429 when the tenant has not that many free): the
   * returned client's streams are not counted again, and `release` gives all `n` back.
   */
  reserveStreams(_n: number): { host: HostClient; release: () => void } {
    return { host: this, release: () => {} };
  }

  /**
   * The same pool, seen by one tenant: its requests take its fair share of the connections and
   * its streams count against its limit. Cheap (no connections of its own); closing it closes nothing.
   */
  forTenant(tenant: string, limits: TenantLimits): HostClient {
    const view = Object.create(this) as HostClient;
    Object.defineProperties(view, {
      dispatcher: { value: this.shares.shortRequests(this.dispatcher, tenant, limits) },
      streams: { value: this.shares.longStreams(this.streams, tenant, limits) },
      close: { value: async () => {} },
      reserveStreams: {
        value: (n: number) => {
          const release = this.shares.reserveStreams(tenant, limits, n);
          const held = Object.create(view) as HostClient;
          Object.defineProperty(held, 'streams', { value: this.streams });
          return { host: held, release };
        },
      },
    });
    return view;
  }

  async close(): Promise<void> {
    await Promise.all([this.dispatcher.close(), this.streams.destroy()]);
  }
}
