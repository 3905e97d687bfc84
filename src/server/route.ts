// The last stage of the pipeline: route by the tenant's resource table. Non-resource paths
// (version, health, discovery, OpenAPI) are answered here; a resource request goes to the handler
// its row names — a computed resource (reviews, TokenRequest), the virtual store, or the host.
import { writeJSON, writeText } from '../api/respond.js';
import { pageNotFound, serviceUnavailable } from '../api/status.js';
import { serveDiscovery, serveOpenAPI } from '../discovery/index.js';
import { handleComputedRequest, type ComputedResource } from '../handlers/computed.js';
import { handleVirtualRequest } from '../handlers/virtual.js';
import { handleHostRequest, type PassthroughDeps } from '../host/passthrough.js';
import { hostParamReader } from '../host/policy-admission.js';
import { crdConverter } from '../admission/webhooks/conversion.js';
import { DEFAULT_POLICY } from '../limits/tenant-policy.js';
import { KubernetesServices } from '../host/kubernetes-service.js';
import { tenantScope } from '../host/tenant-scope.js';
import { DEFAULT_WATCH_CACHE_OPTIONS as WC, HostWatchCaches } from '../hostwatch/watch-caches.js';
import { ContinueSealer } from '../rewrite/continue-token.js';
import type { TenantRuntime } from '../tenancy/tenant-runtime.js';
import type { PipelineDeps, Stage } from './stage.js';
import type { AuthenticatedContext } from './request-context.js';

const HEALTH = new Set(['/healthz', '/livez', '/readyz']);

export function routeStage(deps: PipelineDeps): Stage {
  const passthrough: PassthroughDeps | undefined = deps.host
    ? {
        host: deps.host,
        sealer: new ContinueSealer(),
        kubernetesServices: new KubernetesServices(deps.host),
        logger: deps.logger,
        // kplex's own client, not a tenant's share: one host watch per resource type for all tenants.
        watchCaches: new HostWatchCaches(deps.host, deps.logger, {
          ...WC,
          ring: { ...WC.ring, events: deps.watchCacheEvents ?? WC.ring.events },
        }),
        ...(deps.tenantQuota ? { tenantQuota: deps.tenantQuota } : {}),
      }
    : undefined;
  const computed: Record<string, ComputedResource> = deps.identity?.computed() ?? {};
  return async (ctx) => {
    if (!ctx.info.isResourceRequest) return nonResource(deps, ctx);
    // The `/api/v1/proxy/...` path form is long gone from the apiserver (404); it must never reach a
    // handler that would treat it as a plain read of the named object.
    if (ctx.info.verb === 'proxy') throw pageNotFound();
    const rt = await deps.runtimes.get(ctx.tenant.name);
    // The tenant's own share of the host pool.
    const shared =
      passthrough && deps.limits
        ? { ...passthrough, host: passthrough.host.forTenant(ctx.tenant.name, deps.limits(ctx.tenant.name)) }
        : passthrough;
    return resource(rt, ctx, computed, shared);
  };
}

async function nonResource(deps: PipelineDeps, ctx: AuthenticatedContext): Promise<void> {
  const { req, res, path, query } = ctx;
  if (path === '/version' || path === '/version/') return writeJSON(res, 200, deps.hostVersion());
  if (HEALTH.has(path)) return writeText(res, 200, 'ok');
  if (path.startsWith('/api') || path.startsWith('/openapi')) {
    const rt = await deps.runtimes.get(ctx.tenant.name);
    const table = rt.discoveryTable();
    if (serveDiscovery(req, res, table, { path, query })) return;
    if (
      serveOpenAPI(req, res, table, (row) => rt.schemaFor(row) as never, {
        path,
        query,
        prefix: ctx.prefix,
        version: deps.hostVersion().gitVersion,
      })
    )
      return;
  }
  writeText(res, 404, '404 page not found\n');
}

async function resource(
  rt: TenantRuntime,
  ctx: AuthenticatedContext,
  computed: Record<string, ComputedResource>,
  passthrough?: PassthroughDeps,
): Promise<void> {
  const { req, res, info, user } = ctx;
  const row = rt.row(info.apiGroup, info.apiVersion, info.resource);
  if (!row) throw pageNotFound();
  ctx.routed = true;
  // Answered by kplex from the request alone (reviews, TokenRequest): never stored, never the host's.
  const answer = row.computed?.[info.subresource];
  if (answer && computed[answer])
    return handleComputedRequest(req, res, computed[answer], {
      tenant: ctx.tenant.name,
      info,
      user,
      warnings: ctx.warnings,
    });
  switch (row.placement) {
    case 'virtual':
      return handleVirtualRequest(req, res, {
        tenant: rt.tenant,
        store: rt.store,
        info: row,
        strategy: rt.strategy(row),
        requestInfo: info,
        query: ctx.query,
        user,
        gc: rt.gc,
        admission: rt.admission,
        warnings: ctx.warnings,
        converter: crdConverter(rt.store, row, () => ({
          host: passthrough?.host,
          hostNamespaceOf: (ns) => tenantScope(rt).namespaceMap().hostOf(ns),
          urlsAllowed: (rt.deps.policyOf?.(rt.deps.uid) ?? DEFAULT_POLICY).webhookURLs,
        })),
        // Built on first use: reading the namespace map costs a store read.
        admissionEnv: passthrough
          ? {
              hostParams: (...a) => hostParamReader(passthrough.host, tenantScope(rt).namespaceMap())(...a),
              hostClient: passthrough.host,
              hostNamespaceOf: (ns) => tenantScope(rt).namespaceMap().hostOf(ns),
            }
          : {},
      });
    case 'host':
    case 'host-view':
      if (!passthrough)
        throw serviceUnavailable(
          `${row.resource}.${row.group || 'core'} is served by the host, and kplex has no host connection`,
        );
      ctx.hostBacked = true;
      return handleHostRequest(passthrough, {
        req,
        res,
        row,
        info,
        query: ctx.query,
        user,
        scope: tenantScope(rt),
        admission: rt.admission,
        warnings: ctx.warnings,
      });
    default:
      throw pageNotFound();
  }
}
