// The tenant request path: tenant resolution -> authentication -> authorization -> route by the
// resource table (virtual store now; host passthrough with issue 4). Discovery and OpenAPI are
// generated from the same table.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeError, writeJSON, writeText } from '../api/respond.js';
import { parseRequestInfo, type RequestInfo } from '../api/request-info.js';
import { pageNotFound, serviceUnavailable } from '../api/status.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { Authorizer } from '../authorizer/authorizer.js';
import type { IdentityStage } from '../auth/identity-stage.js';
import type { UserInfo } from '../authorizer/user.js';
import { serveDiscovery, serveOpenAPI } from '../discovery/index.js';
import { handleVirtualRequest } from '../handlers/virtual.js';
import { isLongRunning } from '../limits/fairness.js';
import type { HostClient } from '../hostapi/host-client.js';
import { handleHostRequest, type PassthroughDeps } from '../host/passthrough.js';
import { tenantScope } from '../host/tenant-scope.js';
import { hostParamReader } from '../host/policy-admission.js';
import { KubernetesServices } from '../host/kubernetes-service.js';
import { startHostResourceRefresh } from '../builtin/builtin-table.js';
import { ContinueSealer } from '../rewrite/continue-token.js';
import type { Logger } from '../log/logger.js';
import type { RuntimeCache } from '../tenancy/runtime-cache.js';
import type { TenantRuntime } from '../tenancy/tenant-runtime.js';
import type { VersionInfo } from './server.js';
import type { Fairness } from '../limits/fairness.js';
import type { LimitsOf } from '../limits/tenant-limits.js';

export interface TenantAPIDeps {
  tenantExists: (name: string) => boolean;
  runtimes: RuntimeCache;
  authn: Authenticator;
  authz: Authorizer;
  /** Impersonation and the review APIs (issue 6); absent: neither is offered. */
  identity?: IdentityStage;
  logger: Logger;
  /** The host's /version: a tenant cluster reports the release it really runs on. */
  hostVersion: () => VersionInfo;
  /** The shared host client: host-backed rows are served through it (absent: virtual rows only). */
  host?: HostClient;
  /** Per-tenant fair sharing of the process (absent: no limits on concurrency). */
  fairness?: Fairness;
  /** Each tenant's limits: its share of the host pool is sized from them. */
  limits?: LimitsOf;
}


const HEALTH = new Set(['/healthz', '/livez', '/readyz']);

export function tenantHandler(deps: TenantAPIDeps) {
  // The host's half of the resource table, loaded once before the first tenant request, then refreshed.
  const hostTable = deps.host ? startHostResourceRefresh(deps.host, deps.logger) : Promise.resolve();
  const passthrough: PassthroughDeps | undefined = deps.host ? { host: deps.host, sealer: new ContinueSealer(), kubernetesServices: new KubernetesServices(deps.host), logger: deps.logger } : undefined;
  return async (req: IncomingMessage, res: ServerResponse, tenant: string, path: string): Promise<void> => {
    try {
      await hostTable;
      const requestor = await deps.authn.authenticate(req, tenant);
      if (!deps.tenantExists(tenant)) throw pageNotFound();
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      const info = parseRequestInfo(req.method ?? 'GET', path, query);
      // Fairness: after authentication (anonymous load is refused before it), before any work.
      const release = await deps.fairness?.admit(tenant, info, res, req.headers['content-length']);
      try {
        await serveAdmitted(deps, req, res, tenant, path, info, requestor, passthrough);
      } finally {
        // Long-running requests hold their place until the response closes.
        if (release && !isLongRunning(info)) release();
      }
    } catch (err) {
      const status = writeError(res, err);
      if (status.code >= 500) deps.logger.error({ err, tenant, path }, 'tenant request failed');
    }
  };
}

/** The request path after the fairness stage: impersonation, authorization, routing. */
async function serveAdmitted(deps: TenantAPIDeps, req: IncomingMessage, res: ServerResponse, tenant: string, path: string, info: RequestInfo, requestor: UserInfo, passthrough?: PassthroughDeps): Promise<void> {
  const user = deps.identity ? await deps.identity.impersonate(req, tenant, requestor) : requestor;
  await deps.authz.authorize(tenant, attributes(user, info));
  if (deps.identity && (await deps.identity.serve(req, res, tenant, info, user))) return;
  if (!info.isResourceRequest) return await nonResource(deps, req, res, tenant, path);
  const rt = await deps.runtimes.get(tenant);
  // The tenant's own share of the host pool.
  const shared = passthrough && deps.limits ? { ...passthrough, host: passthrough.host.forTenant(tenant, deps.limits(tenant)) } : passthrough;
  await resource(deps, rt, req, res, info, user, shared);
}

function attributes(user: UserInfo, info: RequestInfo) {
  return {
    user,
    verb: info.verb,
    isResourceRequest: info.isResourceRequest,
    path: info.path,
    namespace: info.namespace,
    apiGroup: info.apiGroup,
    apiVersion: info.apiVersion,
    resource: info.resource,
    subresource: info.subresource,
    name: info.name,
  };
}

async function nonResource(deps: TenantAPIDeps, req: IncomingMessage, res: ServerResponse, tenant: string, path: string): Promise<void> {
  if (path === '/version' || path === '/version/') return writeJSON(res, 200, deps.hostVersion());
  if (HEALTH.has(path)) return writeText(res, 200, 'ok');
  if (path.startsWith('/api') || path.startsWith('/openapi')) {
    const rt = await deps.runtimes.get(tenant);
    const table = rt.discoveryTable();
    if (serveDiscovery(req, res, table, { path })) return;
    if (serveOpenAPI(req, res, table, (row) => rt.schemaFor(row) as never, { path, version: deps.hostVersion().gitVersion })) return;
  }
  writeText(res, 404, '404 page not found\n');
}

async function resource(deps: TenantAPIDeps, rt: TenantRuntime, req: IncomingMessage, res: ServerResponse, info: RequestInfo, user: UserInfo, passthrough?: PassthroughDeps): Promise<void> {
  // The `/api/v1/proxy/...` path form is long gone from the apiserver (404); it must never reach a
  // handler that would treat it as a plain read of the named object.
  if (info.verb === 'proxy') throw pageNotFound();
  const row = rt.row(info.apiGroup, info.apiVersion, info.resource);
  if (!row) throw pageNotFound();
  switch (row.placement) {
    case 'virtual':
      return handleVirtualRequest(req, res, {
        tenant: rt.tenant,
        store: rt.store,
        info: row,
        strategy: rt.strategy(row),
        requestInfo: info,
        user,
        logger: deps.logger,
        gc: rt.gc,
        admitCreate: (obj, r) => rt.admitCreate(obj, r),
        policies: rt.policies,
        // Built on first use: reading the namespace map costs a store read.
        hostParams: passthrough ? (...a) => hostParamReader(passthrough.host, tenantScope(rt).namespaceMap())(...a) : undefined,
      });
    case 'host':
    case 'host-view':
      if (!passthrough) throw serviceUnavailable(`${row.resource}.${row.group || 'core'} is served by the host, and kplex has no host connection`);
      return handleHostRequest(passthrough, { req, res, row, info, user, scope: tenantScope(rt), policies: rt.policies });
    default:
      throw pageNotFound();
  }
}
