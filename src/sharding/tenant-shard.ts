// Which shard a tenant belongs to: the label kplex.io/shard on its Tenant object, set once when
// the tenant is created (the least-loaded shard), changed only by a tenant move.
import type { KubeObject } from '../api/object.js';

export const SHARD_LABEL = 'kplex.io/shard';

/** The tenant's shard, or undefined when it has none (yet) or one outside 0..shards-1. */
export function shardOf(tenant: KubeObject | undefined, shards: number): number | undefined {
  const v = tenant?.metadata?.labels?.[SHARD_LABEL];
  if (v === undefined || !/^\d{1,4}$/.test(v)) return undefined;
  const n = Number(v);
  return n < shards ? n : undefined;
}

/** The shard with the fewest tenants (the lowest number among equals). */
export function leastLoadedShard(tenants: Iterable<KubeObject>, shards: number): number {
  const counts = new Array<number>(shards).fill(0);
  for (const t of tenants) {
    const s = shardOf(t, shards);
    if (s !== undefined) counts[s]!++;
  }
  let best = 0;
  for (let s = 1; s < shards; s++) if (counts[s]! < counts[best]!) best = s;
  return best;
}

/** A merge patch that labels the tenant, conditional on the version read (409 if it changed). */
export function shardLabelPatch(tenant: KubeObject, shard: number): Record<string, unknown> {
  return {
    metadata: { resourceVersion: tenant.metadata?.resourceVersion, labels: { [SHARD_LABEL]: String(shard) } },
  };
}
