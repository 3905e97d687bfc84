// Keeps the Pod Security labels of every tenant's host namespaces on its Tenant's current policy:
// at start (the directory's first list) and whenever a Tenant's policy changes. One tenant at a
// time, each at most once in the queue: a burst of Tenant edits costs the host one pass each.
import type { Logger } from '../log/logger.js';
import type { StorePool } from '../store/store-pool.js';
import type { TenantIdentity } from '../rewrite/namespace-translator.js';
import type { HostNamespaces } from './host-namespaces.js';

export class PodSecurityReconciler {
  private readonly queue = new Map<string, TenantIdentity>();
  private running = false;

  constructor(
    private readonly hostNamespaces: HostNamespaces,
    private readonly pool: StorePool,
    private readonly logger: Logger,
  ) {}

  /** Queues a pass over the tenant's host namespaces. */
  tenantChanged(tenant: TenantIdentity): void {
    if (!tenant.uid || !tenant.name) return;
    this.queue.set(tenant.uid, tenant);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let next = this.queue.values().next(); !next.done; next = this.queue.values().next()) {
        const t = next.value;
        this.queue.delete(t.uid);
        try {
          const changed = await this.hostNamespaces.reconcilePodSecurity(t, () => this.pool.get(t.uid));
          if (changed)
            this.logger.info({ tenant: t.name, changed }, 'host namespace Pod Security labels updated');
        } catch (err) {
          this.logger.warn({ err, tenant: t.name }, 'reconciling host namespace Pod Security labels failed');
        }
      }
    } finally {
      this.running = false;
    }
  }
}
