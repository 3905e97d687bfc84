// Opens tenant stores on demand from a data directory (one database file per tenant) and keeps
// the number of open database handles bounded: least recently used stores are closed beyond
// `maxOpen`, and stores unused for `idleCloseMs` are closed by a background sweep. A store with
// active watchers or an open transaction is never closed.
//
// The pool keeps one store object per tenant it has served (a few hundred bytes once closed):
// a closed store reopens its handle on its next use, so a caller holding a store across an
// `await` never sees a closed database, and there is never a second rv counter for one tenant.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteTenantStore, type SqliteTenantStoreOptions } from './sqlite-tenant-store.js';
import { databaseFiles, tenantFileName } from './tenant-file.js';

export interface StorePoolOptions {
  dataDir: string;
  /** Most database handles open at once (soft: stores that may not be closed are kept). Default 256. */
  maxOpen?: number;
  /** Close handles unused for this long (ms). Default 60,000; 0 disables the sweep. */
  idleCloseMs?: number;
  /** Options for every tenant store. */
  store?: Omit<SqliteTenantStoreOptions, 'onOpen' | 'onClose'>;
}

export class StorePool {
  readonly dataDir: string;
  private readonly maxOpen: number;
  private readonly idleCloseMs: number;
  private readonly stores = new Map<string, SqliteTenantStore>();
  private readonly open = new Set<SqliteTenantStore>();
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: StorePoolOptions) {
    this.dataDir = opts.dataDir;
    this.maxOpen = Math.max(1, opts.maxOpen ?? 256);
    this.idleCloseMs = opts.idleCloseMs ?? 60_000;
    mkdirSync(this.dataDir, { recursive: true });
    if (this.idleCloseMs > 0) {
      this.timer = setInterval(() => this.closeIdle(), Math.min(this.idleCloseMs, 30_000));
      this.timer.unref();
    }
  }

  /** The tenant's store, its database opened (and created if new). */
  get(tenant: string): SqliteTenantStore {
    let store = this.stores.get(tenant);
    if (!store) {
      store = new SqliteTenantStore(tenant, this.pathOf(tenant), {
        ...this.opts.store,
        onOpen: (s) => this.opened(s),
        onClose: (s) => this.open.delete(s),
      });
      this.stores.set(tenant, store);
    }
    store.open();
    return store;
  }

  /** The tenant's store if the pool has served it since start, its database left as it is. */
  peek(tenant: string): SqliteTenantStore | undefined {
    return this.stores.get(tenant);
  }

  /** The database file of a tenant. */
  pathOf(tenant: string): string {
    return join(this.dataDir, tenantFileName(tenant));
  }

  /** How many database handles are open now. */
  openCount(): number {
    return this.open.size;
  }

  /** Closes handles not used for `olderThanMs`; returns how many were closed. */
  closeIdle(olderThanMs = this.idleCloseMs, now = Date.now()): number {
    let closed = 0;
    for (const s of [...this.open]) {
      if (now - s.lastUsedAt >= olderThanMs && this.closable(s) && s.close()) closed++;
    }
    return closed;
  }

  /**
   * Stops the tenant's watchers, closes its database and deletes its files. The caller ends the
   * tenant's HTTP watches first: stopped watchers receive nothing more.
   */
  deleteTenant(tenant: string): void {
    const store = this.stores.get(tenant);
    if (store) {
      if (store.inTransaction) throw new Error(`tenant "${tenant}" is inside a transaction`);
      store.destroy();
      this.stores.delete(tenant);
    }
    for (const f of databaseFiles(this.pathOf(tenant))) rmSync(f, { force: true });
  }

  /** Closes every handle and stops the sweep; stores reopen if used again. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const s of [...this.open]) s.close();
  }

  private closable(s: SqliteTenantStore): boolean {
    return s.watcherCount === 0 && !s.inTransaction;
  }

  private opened(s: SqliteTenantStore): void {
    this.open.add(s);
    if (this.open.size <= this.maxOpen) return;
    // Evict least recently used first; the store just opened is the most recent.
    const victims = [...this.open]
      .filter((v) => v !== s && this.closable(v))
      .sort((a, b) => a.lastUseTick - b.lastUseTick);
    for (const v of victims) {
      if (this.open.size <= this.maxOpen) break;
      v.close();
    }
  }
}
