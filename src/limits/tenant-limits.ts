// The effective limits of every tenant, kept current from the Tenant objects the directory
// watches (a lookup per request, never a host call). Unknown tenants get the defaults.
import type { KubeObject } from '../api/object.js';
import { DEFAULT_LIMITS, limitsFromSpec, type TenantLimits } from './limits.js';

export type LimitsOf = (tenant: string) => TenantLimits;

export class TenantLimitsBook {
  private readonly byTenant = new Map<string, TenantLimits>();

  /** Feed it the directory's events (ADDED / MODIFIED / DELETED of Tenant objects). */
  observe(e: { type: string; object: KubeObject }): void {
    // By name (the request path) and by UID (what stores are keyed by).
    const keys = [e.object.metadata?.name, e.object.metadata?.uid].filter((k): k is string => !!k);
    const limits = limitsFromSpec((e.object as { spec?: unknown }).spec);
    for (const k of keys) {
      if (e.type === 'DELETED') this.byTenant.delete(k);
      else this.byTenant.set(k, limits);
    }
  }

  readonly of: LimitsOf = (tenant) => this.byTenant.get(tenant) ?? DEFAULT_LIMITS;
}
