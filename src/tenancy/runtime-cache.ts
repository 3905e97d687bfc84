// A bounded LRU of tenant runtimes: active tenants keep their table and strategies warm; idle
// ones fall out and cost nothing but their SQLite file (the store pool closes their handles).
import type { Logger } from '../log/logger.js';
import type { StorePool } from '../store/store-pool.js';
import type { HostNamespaces } from './host-namespaces.js';
import { TenantRuntime } from './tenant-runtime.js';

export class RuntimeCache {
  private readonly runtimes = new Map<string, Promise<TenantRuntime>>();

  constructor(
    private readonly pool: StorePool,
    private readonly hostNamespaces: HostNamespaces | undefined,
    private readonly logger: Logger,
    private readonly max = 1024,
  ) {}

  /** The runtime of `tenant`, seeding a brand-new tenant's default namespaces on first use. */
  get(tenant: string): Promise<TenantRuntime> {
    let p = this.runtimes.get(tenant);
    if (p) {
      // LRU: re-insert as most recent.
      this.runtimes.delete(tenant);
      this.runtimes.set(tenant, p);
      return p;
    }
    p = (async () => {
      const rt = new TenantRuntime({ tenant, store: () => this.pool.get(tenant), hostNamespaces: this.hostNamespaces, logger: this.logger });
      await rt.seed();
      rt.lifecycle.resume();
      return rt;
    })();
    p.catch(() => this.runtimes.delete(tenant));
    this.runtimes.set(tenant, p);
    while (this.runtimes.size > this.max) {
      const oldest = this.runtimes.keys().next().value as string;
      this.runtimes.delete(oldest);
    }
    return p;
  }

  /** Forgets a tenant (deleted): its runtime and its store files. */
  async drop(tenant: string): Promise<void> {
    this.runtimes.delete(tenant);
    this.pool.deleteTenant(tenant);
  }

  size(): number {
    return this.runtimes.size;
  }
}
