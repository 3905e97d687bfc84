// The tenant request pipeline: ONE ordered list of stages over ONE RequestContext, as
// k8s.io/apiserver's DefaultBuildHandlerChain (each filter puts its result on the request context)
// and kcp's WithClusterScope (the logical cluster validated once and carried along):
//
//   tenant resolution -> authentication -> request info -> fairness -> impersonation
//     -> authorization -> route by the resource table (admission runs in the handler, where the
//        object is known: src/admission/chain.ts)
//
// Every error any stage throws goes to the one error writer (error-writer.ts).
import { parseRequestInfo } from '../api/request-info.js';
import { pageNotFound, unauthorized } from '../api/status.js';
import type { IdentityStage } from '../auth/identity-stage.js';
import type { AuthorizationAttributes, Authorizer } from '../authorizer/authorizer.js';
import { startHostResourceRefresh } from '../builtin/builtin-table.js';
import type { AuditRecord } from '../audit/audit-log.js';
import { isLongRunning, type Fairness } from '../limits/fairness.js';
import { tenantName } from '../tenancy/tenant-name.js';
import { writeRequestError } from './error-writer.js';
import { RequestContext, type AuthenticatedContext, type TenantRef } from './request-context.js';
import { routeStage } from './route.js';
import type { TenantHandler } from './server.js';
import type { PipelineDeps, Stage } from './stage.js';

/** Tenant resolution: the name must be a valid tenant name of a live tenant (401 otherwise, as an unknown audience). */
export function resolveTenant(deps: Pick<PipelineDeps, 'tenantUid'>, raw: string): TenantRef {
  const name = tenantName(raw);
  const uid = name && deps.tenantUid(name);
  if (!name || !uid) throw unauthorized();
  return { name, uid };
}

/** Authentication, then request info: who is asking, and what for. */
async function authenticate(deps: PipelineDeps, ctx: RequestContext): Promise<AuthenticatedContext> {
  const requestor = await deps.authn.authenticate(ctx.credentials, ctx.tenant.name);
  if (!deps.tenantExists(ctx.tenant.name)) throw pageNotFound();
  ctx.requestor = requestor;
  ctx.user = requestor;
  ctx.info = parseRequestInfo(ctx.req.method ?? 'GET', ctx.path, ctx.query);
  return ctx as AuthenticatedContext;
}

/** Fairness: after authentication (anonymous load is refused before it), before any work. */
const fairness =
  (f: Fairness): Stage =>
  async (ctx, next) => {
    const release = await f.admit(ctx.tenant.name, ctx.info, ctx.res, ctx.req.headers['content-length']);
    try {
      await next();
    } finally {
      // Long-running requests hold their place until the response closes.
      if (!isLongRunning(ctx.info)) release();
    }
  };

const impersonation =
  (identity: IdentityStage): Stage =>
  async (ctx, next) => {
    ctx.user = await identity.impersonate(ctx.req.headers, ctx.tenant.name, ctx.requestor);
    await next();
  };

export function authorizationAttributes(ctx: AuthenticatedContext): AuthorizationAttributes {
  const { info } = ctx;
  return {
    user: ctx.user,
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

const authorization =
  (authz: Authorizer): Stage =>
  async (ctx, next) => {
    await authz.authorize(ctx.tenant.name, authorizationAttributes(ctx));
    await next();
  };

function run(stages: Stage[], ctx: AuthenticatedContext, i = 0): Promise<void> {
  const stage = stages[i];
  return stage ? stage(ctx, () => run(stages, ctx, i + 1)) : Promise.resolve();
}

export function tenantPipeline(deps: PipelineDeps): TenantHandler {
  // The host's half of the resource table, loaded once before the first tenant request, then refreshed.
  const hostTable = deps.host ? startHostResourceRefresh(deps.host, deps.logger) : Promise.resolve();
  const stages: Stage[] = [
    ...(deps.fairness ? [fairness(deps.fairness)] : []),
    ...(deps.identity ? [impersonation(deps.identity)] : []),
    authorization(deps.authz),
    routeStage(deps),
  ];
  return async (req, res, tenant, path) => {
    let ctx: RequestContext | undefined;
    // One 'close' listener for everything measured at the request's end: metrics and the request log.
    const t0 = performance.now();
    const counted = deps.metrics?.start(() => ctx);
    const log = deps.requestLog;
    // Audit: begun once authenticated (the policy matches the requestor); a request refused
    // before that is audited when it ends, with what is known of it.
    const audit = deps.audit;
    let audited: AuditRecord | undefined;
    let auditBegun = false;
    const beginAudit = (a?: AuthenticatedContext): void => {
      auditBegun = true;
      audited = audit?.begin({
        req,
        res,
        tenant: ctx?.tenant.name,
        info: a?.info,
        user: a?.requestor,
        longRunning: a ? isLongRunning(a.info) : false,
      });
    };
    if (counted || log || audit)
      res.once('close', () => {
        const ms = performance.now() - t0;
        counted?.(res.statusCode, ms);
        log?.(ctx, tenant, res.statusCode, ms);
        if (audit && !auditBegun) beginAudit();
        if (audited && ctx?.user && ctx.user !== ctx.requestor) audited.impersonated = ctx.user;
        audited?.complete(res.statusCode);
      });
    try {
      await hostTable;
      ctx = new RequestContext(req, res, resolveTenant(deps, tenant), path, deps.logger);
      const authenticated = await authenticate(deps, ctx);
      if (audit) beginAudit(authenticated);
      await run(stages, authenticated);
    } catch (err) {
      writeRequestError(res, err, ctx?.log ?? deps.logger.child({ tenant, path }), {
        hostBacked: ctx?.hostBacked,
      });
    }
  };
}
