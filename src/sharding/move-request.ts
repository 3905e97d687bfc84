// `kplex tenant move NAME --to-shard K` against the host: annotate the Tenant, then wait until the
// new owner has relabelled it (the replicas do the move, tenant-move.ts).
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import { TENANTS_PATH } from '../tenancy/tenant-crd.js';
import { LEASES_PATH, SHARDS_ANNOTATION, leaseName } from './lease-record.js';
import { movePatch, movingTo } from './tenant-move.js';
import { shardOf } from './tenant-shard.js';

/** Moves the tenant; resolves with how long the move took (the tenant answered 503 meanwhile). */
export async function moveTenant(
  host: HostClient,
  name: string,
  to: number,
  timeoutMs = 60_000,
): Promise<number> {
  const lease = await host.request<KubeObject>('GET', `${LEASES_PATH}/${leaseName(0)}`);
  const shards = Number(lease.body?.metadata?.annotations?.[SHARDS_ANNOTATION] ?? 0);
  if (lease.status !== 200 || !shards) throw new Error('kplex is not sharded on this host (no shard Lease)');
  if (!Number.isInteger(to) || to < 0 || to >= shards) throw new Error(`--to-shard must be 0..${shards - 1}`);
  const t0 = performance.now();
  for (let attempt = 0; ; attempt++) {
    const got = await host.request<KubeObject>('GET', `${TENANTS_PATH}/${name}`);
    if (got.status === 404) throw new Error(`tenant "${name}" not found`);
    if (got.status !== 200) throw new Error(`reading tenant "${name}": host answered ${got.status}`);
    const t = got.body;
    if (movingTo(t, shards) !== undefined) throw new Error(`tenant "${name}" is moving already`);
    if (shardOf(t, shards) === to) throw new Error(`tenant "${name}" is on shard ${to} already`);
    if (shardOf(t, shards) === undefined) throw new Error(`tenant "${name}" is not placed on a shard yet`);
    const res = await host.request(
      'PATCH',
      `${TENANTS_PATH}/${name}`,
      movePatch(t, to),
      'application/merge-patch+json',
    );
    if (res.status === 200) break;
    if (res.status !== 409 || attempt >= 5)
      throw new Error(`annotating tenant "${name}": host answered ${res.status}`);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = (await host.must<KubeObject>('GET', `${TENANTS_PATH}/${name}`)).body;
    if (shardOf(t, shards) === to && movingTo(t, shards) === undefined) return performance.now() - t0;
    if (Date.now() > deadline)
      throw new Error(
        `tenant "${name}" was not moved within ${timeoutMs / 1000}s (it stays annotated; is shard ${to} served?)`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}
