// What a tenant's virtual store holds, counted for its limits: objects, bytes of their JSON and
// namespaces. Counted once when first needed, then kept by every write (so a write's check costs
// the same whatever the store's size).
import type { GroupResource } from '../api/status.js';
import type { TenantLimits } from './limits.js';
import { QUOTA_RESOURCES, exceededQuota, type Usage } from './quota.js';
import { TENANT_QUOTA_NAME } from './tenant-quota.js';

export interface StoreUsage {
  objects: number;
  bytes: number;
  namespaces: number;
}

export type StoreLimits = Pick<TenantLimits, 'objects' | 'storeBytes' | 'namespaces'> & {
  /** The tenant-wide quota's `namespaces` (limits/tenant-quota.ts), checked first as the tighter quota. */
  tenantNamespaces?: number;
};

/** kplex's own bookkeeping rows (group kplex.io, resource internal.*): never counted nor refused. */
export const isInternal = (gr: GroupResource): boolean =>
  gr.group === 'kplex.io' && gr.resource.startsWith('internal.');

/** SQL counting a store's usage from its objects table (run once per store object). */
export const usageQuery =
  `SELECT COUNT(*) AS objects, COALESCE(SUM(octet_length(json)), 0) AS bytes, ` +
  `COALESCE(SUM(CASE WHEN "group" = '' AND resource = 'namespaces' THEN 1 ELSE 0 END), 0) AS namespaces FROM objects ` +
  `WHERE NOT ("group" = 'kplex.io' AND resource LIKE 'internal.%')`;

export const isNamespace = (gr: GroupResource): boolean => gr.group === '' && gr.resource === 'namespaces';

/**
 * Refuses a write whose growth passes a limit, as the ResourceQuota admission plugin does: only
 * the resources the write grows are checked, so shrinking writes (deletes, smaller updates) always pass.
 */
export function admitWrite(
  usage: StoreUsage,
  delta: StoreUsage,
  limits: StoreLimits,
  gr: GroupResource,
  name: string,
): void {
  const max = limits.tenantNamespaces;
  if (delta.namespaces > 0 && max !== undefined && usage.namespaces + delta.namespaces > max)
    throw exceededQuota(
      gr,
      name,
      { namespaces: delta.namespaces },
      { namespaces: usage.namespaces },
      { namespaces: max },
      TENANT_QUOTA_NAME,
    );
  const dims: [keyof StoreUsage, 'objects' | 'storeBytes' | 'namespaces', string][] = [
    ['objects', 'objects', QUOTA_RESOURCES.objects],
    ['bytes', 'storeBytes', QUOTA_RESOURCES.storeBytes],
    ['namespaces', 'namespaces', QUOTA_RESOURCES.namespaces],
  ];
  const requested: Usage = {};
  const used: Usage = {};
  const limited: Usage = {};
  for (const [u, l, resourceName] of dims) {
    if (delta[u] > 0 && usage[u] + delta[u] > limits[l]) {
      requested[resourceName] = delta[u];
      used[resourceName] = usage[u];
      limited[resourceName] = limits[l];
    }
  }
  if (Object.keys(requested).length > 0) throw exceededQuota(gr, name, requested, used, limited);
}
