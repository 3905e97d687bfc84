// Places tenants created without a shard (kubectl or Helm applying a Tenant) on the least-loaded
// shard. Only the holder of shard 0's Lease assigns, so two replicas never count at once; the
// patch is conditional on the Tenant's resourceVersion, so a concurrent change wins and is re-read.
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import type { Logger } from '../log/logger.js';
import { TENANTS_PATH } from '../tenancy/tenant-crd.js';
import { SHARD_LABEL, leastLoadedShard, shardLabelPatch, shardOf } from './tenant-shard.js';

export class ShardAssigner {
  private running = false;
  private again = false;

  constructor(
    private readonly host: HostClient,
    private readonly shards: number,
    private readonly tenants: () => KubeObject[],
    private readonly active: () => boolean,
    private readonly logger: Logger,
  ) {}

  /** Assigns every unassigned tenant; calls made while a pass runs start one more pass after it. */
  kick(): void {
    if (!this.active()) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.pass().finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async pass(): Promise<void> {
    const all = this.tenants();
    // Counts include the placements of this pass (the watch reports them later).
    const placed: KubeObject[] = [...all];
    for (const t of all) {
      if (!this.active()) return;
      if (shardOf(t, this.shards) !== undefined || t.metadata?.deletionTimestamp) continue;
      const shard = leastLoadedShard(placed, this.shards);
      const name = t.metadata?.name ?? '';
      const res = await this.host
        .request(
          'PATCH',
          `${TENANTS_PATH}/${name}`,
          shardLabelPatch(t, shard),
          'application/merge-patch+json',
        )
        .catch((err: unknown) => ({ status: 0, body: err }));
      if (res.status === 200) {
        placed.push({ metadata: { labels: { [SHARD_LABEL]: String(shard) } } });
        this.logger.info({ tenant: name, shard }, 'tenant placed on a shard');
      } else if (res.status !== 409 && res.status !== 404) {
        this.logger.warn({ tenant: name, status: res.status }, 'placing a tenant on a shard failed');
      }
    }
  }
}
