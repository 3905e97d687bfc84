// One replica's hold on one shard's Lease, as client-go's LeaderElector: try to acquire, then
// renew every retry period. The hold counts from when a successful write was SENT, and ends when
// no renewal succeeded within the renew deadline: a timer fences at that instant even while a
// host request hangs, before the Lease could expire for any other replica.
import type { HostClient } from '../hostapi/host-client.js';
import type { Logger } from '../log/logger.js';
import {
  LEASES_PATH,
  acquiredLease,
  leaseName,
  mayAcquire,
  releasedLease,
  type HolderInfo,
  type Lease,
} from './lease-record.js';
import type { LeaseTiming } from './lease-timing.js';

export interface LeaseEvents {
  acquired(shard: number): void;
  lost(shard: number): void;
}

export class ShardLease {
  /** Monotonic ms until which this replica may serve the shard. */
  private validUntil = 0;
  private holding = false;
  private observed: { rv: string; at: number } = { rv: '', at: 0 };
  private loop?: NodeJS.Timeout;
  private fence?: NodeJS.Timeout;
  private stopped = false;
  private trying = false;

  constructor(
    private readonly host: HostClient,
    readonly shard: number,
    private readonly info: HolderInfo,
    private readonly timing: LeaseTiming,
    private readonly logger: Logger,
    private readonly events: LeaseEvents,
  ) {}

  /** True while this replica holds the Lease and may write the shard's tenants. */
  held(): boolean {
    return performance.now() < this.validUntil;
  }

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      void this.tryAcquireOrRenew().finally(() => {
        if (!this.stopped) this.loop = setTimeout(tick, this.timing.retryMs);
      });
    };
    tick();
  }

  /** Stops renewing; a held Lease is given up first (the next holder need not wait for expiry). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.loop);
    clearTimeout(this.fence);
    const wasHeld = this.held();
    this.validUntil = 0;
    this.update();
    if (!wasHeld) return;
    const res = await this.host.request<Lease>('GET', this.path()).catch(() => undefined);
    const lease = res?.status === 200 ? res.body : undefined;
    if (lease?.spec?.holderIdentity !== this.info.identity) return;
    await this.host.request('PUT', this.path(), releasedLease(lease, Date.now())).catch(() => undefined);
  }

  private path(): string {
    return `${LEASES_PATH}/${leaseName(this.shard)}`;
  }

  private async tryAcquireOrRenew(): Promise<void> {
    if (this.trying) return;
    this.trying = true;
    const sentAt = performance.now();
    try {
      const got = await this.host.request<Lease>('GET', this.path());
      let lease: Lease | undefined;
      if (got.status === 200) lease = got.body;
      else if (got.status !== 404) throw new Error(`reading lease: host answered ${got.status}`);
      const rv = lease?.metadata?.resourceVersion ?? '';
      if (rv !== this.observed.rv) this.observed = { rv, at: performance.now() };
      if (!mayAcquire(lease, this.info.identity, this.observed.at, performance.now())) return;
      const next = acquiredLease(this.shard, lease, this.info, this.timing.durationSeconds, Date.now());
      // The resourceVersion makes the write conditional: of two replicas, one wins, one gets 409.
      const res = lease
        ? await this.host.request<Lease>('PUT', this.path(), next)
        : await this.host.request<Lease>('POST', LEASES_PATH, next);
      if (res.status !== 200 && res.status !== 201) {
        if (res.status !== 409) throw new Error(`writing lease: host answered ${res.status}`);
        return;
      }
      if (this.stopped) return;
      this.observed = { rv: res.body.metadata?.resourceVersion ?? '', at: performance.now() };
      this.validUntil = sentAt + this.timing.renewDeadlineMs;
      clearTimeout(this.fence);
      this.fence = setTimeout(() => this.update(), this.validUntil - performance.now() + 1);
    } catch (err) {
      this.logger.warn({ err, shard: this.shard }, 'shard lease: acquire or renew failed');
    } finally {
      this.trying = false;
      this.update();
    }
  }

  /** Tells listeners when the hold begins or ends. */
  private update(): void {
    const now = this.held();
    if (now === this.holding) return;
    this.holding = now;
    this.logger.info({ shard: this.shard, identity: this.info.identity, held: now }, 'shard lease');
    if (now) this.events.acquired(this.shard);
    else this.events.lost(this.shard);
  }
}
