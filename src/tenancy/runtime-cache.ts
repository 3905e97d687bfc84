// A bounded LRU of tenant runtimes: active tenants keep their table and strategies warm; idle
// ones fall out and cost nothing but their SQLite file (the store pool closes their handles).
// Stores are keyed by the Tenant's UID, never its name: a tenant created with a deleted tenant's
// name starts empty even if the old files were not removed (kplex was down during the delete).
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import { pageNotFound } from '../api/status.js';
import type { Logger } from '../log/logger.js';
import { TenantRbac } from '../rbac/tenant-rbac.js';
import type { StorePool } from '../store/store-pool.js';
import type { HostNamespaces } from './host-namespaces.js';
import { TenantRuntime } from './tenant-runtime.js';
import type { PolicyOf } from '../limits/tenant-policy.js';
import type { KeyPairPem } from '../pki/certs.js';

const UID_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.db(-wal|-shm|-journal)?$/;

export class RuntimeCache {
  private readonly runtimes: LRUCache<
    string,
    { uid: string; runtime: Promise<TenantRuntime>; rbac: TenantRbac }
  >;
  /** RBAC views of tenants without a runtime yet (authorization needs no runtime); by UID. */
  private readonly rbacs: LRUCache<string, TenantRbac>;

  constructor(
    private readonly pool: StorePool,
    private readonly hostNamespaces: HostNamespaces | undefined,
    private readonly logger: Logger,
    /** The current UID of a tenant name (undefined: no such tenant). */
    private readonly uidOf: (tenant: string) => string | undefined,
    max = 1024,
    /** The Tenant's workload policy, for its admission chain. */
    private readonly policyOf?: PolicyOf,
    /** A tenant's client CA (created when missing), for its kube-apiserver-client signer. */
    private readonly clientCA?: (t: { tenant: string; uid: string }) => Promise<KeyPairPem>,
  ) {
    this.runtimes = new LRUCache({ max });
    this.rbacs = new LRUCache({ max });
  }

  /** The runtime of `tenant`, seeding a brand-new tenant's default namespaces on first use. */
  get(tenant: string): Promise<TenantRuntime> {
    const uid = this.uidOf(tenant);
    if (!uid) return Promise.reject(pageNotFound());
    const hit = this.runtimes.get(tenant);
    if (hit?.uid === uid) {
      // A tenant in use has its host owners looked up now and then (tenancy/host-owner-sweep.ts).
      void hit.runtime.then(
        (rt) => rt.hostOwners?.touch(),
        () => undefined,
      );
      return hit.runtime;
    }
    this.runtimes.delete(tenant); // a runtime of a deleted tenant of this name
    // The runtime takes over the RBAC view authorization made: one view per tenant sees every write.
    const rbac = this.rbacs.get(uid) ?? new TenantRbac(() => this.pool.get(uid));
    this.rbacs.delete(uid);
    const runtime = (async () => {
      const rt = new TenantRuntime({
        tenant,
        uid,
        store: () => this.pool.get(uid),
        hostNamespaces: this.hostNamespaces,
        logger: this.logger,
        rbac,
        policyOf: this.policyOf,
        ...(this.clientCA ? { clientCA: () => this.clientCA!({ tenant, uid }) } : {}),
      });
      await rt.seed();
      rt.lifecycle.resume();
      rt.hostOwners?.touch();
      return rt;
    })();
    runtime.catch(() => {
      if (this.runtimes.peek(tenant)?.runtime === runtime) this.runtimes.delete(tenant);
    });
    this.runtimes.set(tenant, { uid, runtime, rbac });
    return runtime;
  }

  /**
   * The tenant's RBAC view, for authorization: its runtime's when one is (being) built, otherwise a view of
   * its store alone. Authorization never builds a runtime (nor seeds a new tenant's store) for a
   * request it may deny.
   */
  rbac(tenant: string): TenantRbac {
    const uid = this.uidOf(tenant);
    if (!uid) throw pageNotFound();
    const hit = this.runtimes.peek(tenant);
    if (hit?.uid === uid) return hit.rbac;
    let rbac = this.rbacs.get(uid);
    if (!rbac) {
      rbac = new TenantRbac(() => this.pool.get(uid));
      this.rbacs.set(uid, rbac);
    }
    return rbac;
  }

  /** Forgets a deleted tenant: its runtime and its store files. */
  async drop(tenant: string, uid: string): Promise<void> {
    if (this.runtimes.peek(tenant)?.uid === uid) this.runtimes.delete(tenant);
    this.rbacs.delete(uid);
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
