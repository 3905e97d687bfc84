// A bounded LRU of tenant runtimes: active tenants keep their table and strategies warm; idle
// ones fall out and cost nothing but their SQLite file (the store pool closes their handles).
// Stores are keyed by the Tenant's UID, never its name: a tenant created with a deleted tenant's
// name starts empty even if the old files were not removed (kplex was down during the delete).
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pageNotFound } from '../api/status.js';
import type { Logger } from '../log/logger.js';
import type { StorePool } from '../store/store-pool.js';
import type { HostNamespaces } from './host-namespaces.js';
import { TenantRuntime } from './tenant-runtime.js';

const UID_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.db(-wal|-shm|-journal)?$/;

export class RuntimeCache {
  private readonly runtimes = new Map<string, { uid: string; runtime: Promise<TenantRuntime> }>();

  constructor(
    private readonly pool: StorePool,
    private readonly hostNamespaces: HostNamespaces | undefined,
    private readonly logger: Logger,
    /** The current UID of a tenant name (undefined: no such tenant). */
    private readonly uidOf: (tenant: string) => string | undefined,
    private readonly max = 1024,
  ) {}

  /** The runtime of `tenant`, seeding a brand-new tenant's default namespaces on first use. */
  get(tenant: string): Promise<TenantRuntime> {
    const uid = this.uidOf(tenant);
    if (!uid) return Promise.reject(pageNotFound());
    const hit = this.runtimes.get(tenant);
    if (hit?.uid === uid) {
      // LRU: re-insert as most recent.
      this.runtimes.delete(tenant);
      this.runtimes.set(tenant, hit);
      return hit.runtime;
    }
    this.runtimes.delete(tenant); // a runtime of a deleted tenant of this name
    const runtime = (async () => {
      const rt = new TenantRuntime({
        tenant,
        uid,
        store: () => this.pool.get(uid),
        hostNamespaces: this.hostNamespaces,
        logger: this.logger,
      });
      await rt.seed();
      rt.lifecycle.resume();
      return rt;
    })();
    runtime.catch(() => {
      if (this.runtimes.get(tenant)?.runtime === runtime) this.runtimes.delete(tenant);
    });
    this.runtimes.set(tenant, { uid, runtime });
    while (this.runtimes.size > this.max) {
      const oldest = this.runtimes.keys().next().value as string;
      this.runtimes.delete(oldest);
    }
    return runtime;
  }

  /** Forgets a deleted tenant: its runtime and its store files. */
  async drop(tenant: string, uid: string): Promise<void> {
    if (this.runtimes.get(tenant)?.uid === uid) this.runtimes.delete(tenant);
    this.pool.deleteTenant(uid);
  }

  /** Removes the store files of tenants that no longer exist (deleted while kplex was down). */
  sweep(liveUids: ReadonlySet<string>): number {
    let removed = 0;
    for (const f of readdirSync(this.pool.dataDir)) {
      const m = UID_FILE.exec(f);
      if (!m || liveUids.has(m[1]!)) continue;
      rmSync(path.join(this.pool.dataDir, f), { force: true });
      removed++;
    }
    return removed;
  }

  size(): number {
    return this.runtimes.size;
  }
}
