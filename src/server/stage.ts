// What every stage of the tenant request pipeline is given and what a stage is: pipeline.ts
// orders the stages, route.ts is the last one (its own file, so the two import no cycle).
import type { AuditLog } from '../audit/audit-log.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { IdentityStage } from '../auth/identity-stage.js';
import type { Authorizer } from '../authorizer/authorizer.js';
import type { HostClient } from '../hostapi/host-client.js';
import type { Fairness } from '../limits/fairness.js';
import type { LimitsOf } from '../limits/tenant-limits.js';
import type { Logger } from '../log/logger.js';
import type { RequestMetrics } from '../metrics/request-metrics.js';
import type { RuntimeCache } from '../tenancy/runtime-cache.js';
import type { TenantQuotaHooks } from '../limits/tenant-quota.js';
import type { AuthenticatedContext } from './request-context.js';
import type { RequestLog } from './request-log.js';
import type { VersionInfo } from './server.js';

export interface PipelineDeps {
  /** The UID of the live tenant of this name (undefined: no such tenant). */
  tenantUid: (name: string) => string | undefined;
  tenantExists: (name: string) => boolean;
  runtimes: RuntimeCache;
  authn: Authenticator;
  authz: Authorizer;
  /** Impersonation, the review APIs and TokenRequest; absent: none of them is offered. */
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
  /** Request counts and latencies for /metrics (absent: not measured). */
  metrics?: RequestMetrics;
  /** One log line per request when it ends (absent: none; `--log-requests`). */
  requestLog?: RequestLog;
  /** Audit events of tenant requests (--audit-log-path, --audit-log-dir). */
  audit?: AuditLog;
  /** Recent events each shared host watch keeps (default DEFAULT_WATCH_CACHE_OPTIONS). */
  watchCacheEvents?: number;
  /** The tenant-wide quota (host passthrough admits and shows it). */
  tenantQuota?: TenantQuotaHooks;
}

/** One stage: does its part on the context, then calls `next` for the rest (or answers itself). */
export type Stage = (ctx: AuthenticatedContext, next: () => Promise<void>) => Promise<void>;
