// The HTTPS front door. Health and version endpoints are answered here; the first stage of the
// tenant pipeline, tenant resolution, picks the tenant a request is for (src/server/pipeline.ts).
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.js';
import { writeJSON, writeText } from '../api/respond.js';
import { bearerOf } from '../auth/credentials.js';
import { writeRequestError } from './error-writer.js';
import { HealthChecks } from './health.js';
import { tenantFromCredential, tenantFromPath } from './tenant-resolution.js';
import type { ServingTLS } from './tls.js';
import { pacedListener } from './paced-accept.js';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

/** Handles one request below /clusters/<tenant>; `path` is the rest of the URL path. */
export type TenantHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  tenant: string,
  path: string,
) => Promise<void>;

export interface ServerOptions {
  bindAddress: string;
  port: number;
  tls: ServingTLS;
  logger: Logger;
  health: HealthChecks;
  version: () => VersionInfo;
  tenantHandler?: TenantHandler;
  /** Exact paths served before tenant resolution (the host's pod webhook); set after start too. */
  routes?: Map<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>>;
  /** Runs once the port is bound, before kplex says it serves (the pod webhook registers there). */
  beforeServing?: (port: number) => Promise<void>;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting, waits up to `graceMs` for in-flight requests, then cuts the rest. */
  close(graceMs: number): Promise<void>;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { logger } = opts;
  // Client certificates are asked for, never required: token clients are unaffected, and the
  // authenticator checks a presented certificate against the requested tenant's CA.
  const server = https.createServer({
    cert: opts.tls.cert,
    key: opts.tls.key,
    requestCert: true,
    rejectUnauthorized: false,
  });
  server.keepAliveTimeout = 65_000;
  // Requests in flight per connection: closing ends the idle ones at once. The TLS server never
  // listens itself (the paced listener does), so its closeIdleConnections has no connection list
  // and a keep-alive client (the host's webhook calls) held every SIGTERM for the whole grace.
  const inFlight = new Map<Socket, number>();
  let closing = false;

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const n = (inFlight.get(socket) ?? 1) - 1;
      if (n > 0) inFlight.set(socket, n);
      else inFlight.delete(socket);
      if (closing && n <= 0) socket.destroySoon();
    });
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.debug(
        {
          method: req.method,
          url: req.url,
          code: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request',
      );
    });
    handle(req, res).catch((err: unknown) => writeRequestError(res, err, logger.child({ url: req.url })));
  });

  // Connection upgrades (exec, attach, port-forward) take the same path as requests; the response
  // object writes to the raw socket (errors), and host passthrough takes the socket over.
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    (req as IncomingMessage & { upgradeHead?: Buffer }).upgradeHead = head;
    inFlight.set(socket, Infinity); // a stream (exec, port-forward): it keeps the grace
    const res = new ServerResponse(req);
    res.assignSocket(socket);
    // An answer that is not the upgrade ends the connection: the bytes after the request head are
    // never parsed as further requests, and a client that never closes does not hold the socket.
    res.shouldKeepAlive = false;
    res.on('finish', () => socket.destroySoon());
    handle(req, res).catch((err: unknown) => writeRequestError(res, err, logger.child({ url: req.url })));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    for (const endpoint of ['healthz', 'livez', 'readyz']) {
      if (pathname === `/${endpoint}` || pathname.startsWith(`/${endpoint}/`)) {
        return opts.health.serve(endpoint, req, res);
      }
    }
    const route = opts.routes?.get(pathname);
    if (route) return route(req, res);
    const prefixed = tenantFromPath(pathname);
    if (prefixed && opts.tenantHandler) return opts.tenantHandler(req, res, prefixed.tenant, prefixed.path);
    // No prefix: a tenant credential still routes to its tenant (in-cluster clients).
    const byCredential = opts.tenantHandler
      ? tenantFromCredential(bearerOf(req.headers.authorization))
      : undefined;
    if (byCredential && opts.tenantHandler) return opts.tenantHandler(req, res, byCredential, pathname);
    if (pathname === '/version') return writeJSON(res, 200, opts.version());
    writeText(res, 404, '404 page not found\n');
  }

  const listener = pacedListener(server);
  // Connections the TLS server holds (closing waits for them, up to its grace).
  const open = new Set<TLSSocket>();
  server.on('secureConnection', (s: TLSSocket) => {
    open.add(s);
    s.once('close', () => (open.delete(s), inFlight.delete(s)));
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(opts.port, opts.bindAddress, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  const port = (listener.address() as AddressInfo).port;
  const host = opts.bindAddress.includes(':') ? `[${opts.bindAddress}]` : opts.bindAddress;
  await opts.beforeServing?.(port);
  logger.info({ address: opts.bindAddress, port }, 'serving');

  return {
    url: `https://${host}:${port}`,
    port,
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        // The listener stops accepting; its own close callback would wait for sockets the TLS
        // server took over (their close is the TLS socket's), so the TLS connections are counted here.
        listener.close();
        const done = (): void => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          server.closeAllConnections();
          for (const s of open) s.destroy();
          done();
        }, graceMs);
        timer.unref();
        const check = (): void => {
          if (open.size === 0) done();
        };
        for (const s of open) s.once('close', check);
        closing = true;
        for (const s of open) if (!inFlight.has(s)) s.destroySoon();
        check();
      }),
  };
}
