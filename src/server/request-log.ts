// One structured line per tenant request when its response closes: tenant, user, verb, resource,
// code and latency. Read from the request context the pipeline already keeps (no copy of a body,
// no child logger), so a line costs one pino write.
import type { Logger } from '../log/logger.js';
import type { RequestContext } from './request-context.js';

export type RequestLog = (ctx: RequestContext | undefined, tenant: string, code: number, ms: number) => void;

/** The client chooses the path: what a line repeats of it is bounded. */
const MAX_RESOURCE = 256;

/** `deployments.apps/scale`; a non-resource request logs its path (`/version`). */
function resourceOf(ctx: RequestContext): string | undefined {
  const info = ctx.info;
  if (!info) return undefined;
  const group = info.apiGroup ? `.${info.apiGroup}` : '';
  const r = info.isResourceRequest
    ? `${info.resource}${group}${info.subresource ? `/${info.subresource}` : ''}`
    : info.path;
  return r.length > MAX_RESOURCE ? `${r.slice(0, MAX_RESOURCE)}...` : r;
}

/** `tenant` is the raw path segment: the context is absent when resolution itself refused the request. */
export function requestLog(logger: Logger): RequestLog {
  return (ctx, tenant, code, ms) => {
    logger.info(
      {
        tenant: ctx?.tenant.name ?? tenant,
        user: ctx?.user?.username,
        verb: ctx?.info?.verb,
        resource: ctx && resourceOf(ctx),
        namespace: ctx?.info?.namespace || undefined,
        code,
        latencyMs: Math.round(ms * 1000) / 1000,
      },
      'request',
    );
  };
}
