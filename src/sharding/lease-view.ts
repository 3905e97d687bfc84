// Every replica's view of who holds which shard: one host watch of kplex's shard Leases. A Lease
// counts as held while its record keeps changing: unchanged for leaseDurationSeconds since this
// replica last saw it change (client-go's observedTime: this replica's clock only), or given up
// (no holder), the shard has no owner.
import type { HostClient } from '../hostapi/host-client.js';
import { HostInformer } from '../hostapi/host-informer.js';
import type { Logger } from '../log/logger.js';
import {
  LEASES_PATH,
  PEER_ADDRESS_ANNOTATION,
  SERVING_CA_ANNOTATION,
  SHARD_LEASE_LABEL,
  leaseShard,
  type Lease,
} from './lease-record.js';

export interface ShardOwner {
  identity: string;
  /** https://host:port of the holder. */
  address: string;
  servingCA: string;
}

export class LeaseView {
  private readonly informer: HostInformer;
  /** When this replica saw each shard's Lease change last (monotonic ms), by shard. */
  private readonly observed = new Map<number, { rv: string; at: number }>();

  constructor(host: HostClient, logger: Logger) {
    this.informer = new HostInformer(host, LEASES_PATH, logger, (e) => this.seen(e.object as Lease), {
      query: `labelSelector=${encodeURIComponent(SHARD_LEASE_LABEL)}`,
    });
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  private seen(lease: Lease): void {
    const shard = leaseShard(lease);
    const rv = lease.metadata?.resourceVersion ?? '';
    if (shard !== undefined && this.observed.get(shard)?.rv !== rv)
      this.observed.set(shard, { rv, at: performance.now() });
  }

  private lease(shard: number): Lease | undefined {
    for (const l of this.informer.items.values()) if (leaseShard(l) === shard) return l as Lease;
    return undefined;
  }

  /** The live holder of `shard`, or undefined (no Lease, given up, or not renewed in time). */
  owner(shard: number): ShardOwner | undefined {
    const lease = this.lease(shard);
    const identity = lease?.spec?.holderIdentity ?? '';
    const seen = this.observed.get(shard);
    if (!lease || !identity || !seen) return undefined;
    if (seen.at + (lease.spec?.leaseDurationSeconds ?? 0) * 1000 <= performance.now()) return undefined;
    const address = lease.metadata?.annotations?.[PEER_ADDRESS_ANNOTATION] ?? '';
    const servingCA = lease.metadata?.annotations?.[SERVING_CA_ANNOTATION] ?? '';
    return address && servingCA ? { identity, address, servingCA } : undefined;
  }
}
