// Both ends of a tenant move on one replica (tenant-move.ts has the protocol). As the old owner:
// fence the tenant when the move begins, hand its store to the new owner, delete the copy once
// the Tenant names the new shard. As the new owner: pull the store, install it, relabel.
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import type { Logger } from '../log/logger.js';
import { backupTenantStore, restoreTenantStore } from '../store/tenant-backup.js';
import type { StorePool } from '../store/store-pool.js';
import { TENANTS_PATH } from '../tenancy/tenant-crd.js';
import type { Forwarder } from './forwarder.js';
import type { ShardOwner } from './lease-view.js';
import { STORE_COPY_PATH, downloadStore, movedPatch, movingTo } from './tenant-move.js';
import { shardOf } from './tenant-shard.js';
import type { ServingSet } from './serving-set.js';

/** How long the old owner lets a moving tenant's requests in flight finish before the copy. */
const DRAIN_MS = 5_000;

export interface MoveDeps {
  host: HostClient;
  pool: StorePool;
  shard: number;
  shards: number;
  held(): boolean;
  owner(shard: number): ShardOwner | undefined;
  tenant(name: string): KubeObject | undefined;
  forwarder: Forwarder;
  identity: string;
  /** The requests this replica serves. */
  serving: ServingSet;
  /** Forgets a tenant's runtime and deletes its store files here. */
  forget(name: string, uid: string): Promise<void>;
  logger: Logger;
}

export class MoveWorker {
  /** Tenants (by UID) this replica fenced as the old owner of a move. */
  private readonly leaving = new Set<string>();
  /** Tenants (by UID) this replica is pulling as the new owner. */
  private readonly pulling = new Set<string>();

  constructor(private readonly deps: MoveDeps) {}

  /** Called on every change of a Tenant. */
  observe(t: KubeObject): void {
    const { deps } = this;
    const name = t.metadata?.name ?? '';
    const uid = t.metadata?.uid ?? '';
    const to = movingTo(t, deps.shards);
    const from = shardOf(t, deps.shards);
    if (to !== undefined && from === deps.shard && !this.leaving.has(uid)) {
      this.leaving.add(uid);
      // Watches end now; writes in flight get their answers before the copy (copyStore drains).
      deps.serving.endLong(name);
      deps.logger.info({ tenant: name, to }, 'tenant move: fenced here (old owner)');
    }
    if (to === undefined && from !== deps.shard && this.leaving.delete(uid)) {
      void deps.forget(name, uid).then(
        () => deps.logger.info({ tenant: name, shard: from }, 'tenant move: done; the old copy is deleted'),
        (err: unknown) =>
          deps.logger.error({ err, tenant: name }, 'tenant move: deleting the old copy failed'),
      );
    }
    if (to === deps.shard && from !== undefined && from !== deps.shard && deps.held())
      void this.pull(name, uid);
  }

  /** The old owner's answer to the new owner: a consistent copy of the store, once no request of the tenant runs. */
  async copyStore(name: string, tenant: KubeObject, res: ServerResponse): Promise<void> {
    const uid = tenant.metadata?.uid ?? '';
    this.deps.serving.endLong(name);
    await this.deps.serving.drain(name, DRAIN_MS);
    const dbPath = this.deps.pool.pathOf(uid);
    if (!existsSync(dbPath)) {
      res.writeHead(204).end();
      return;
    }
    this.deps.pool.peek(uid)?.close();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kplex-move-out-'));
    const out = path.join(dir, 'store.db');
    try {
      backupTenantStore(dbPath, out, { tenant: name, tenantUid: uid });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(out).size });
    res.once('close', () => rmSync(dir, { recursive: true, force: true }));
    createReadStream(out).pipe(res);
  }

  private async pull(name: string, uid: string): Promise<void> {
    const { deps } = this;
    if (this.pulling.has(uid)) return;
    this.pulling.add(uid);
    try {
      for (let attempt = 0; attempt < 60 && deps.held(); attempt++) {
        const t = deps.tenant(name);
        const from = shardOf(t, deps.shards);
        if (!t || t.metadata?.uid !== uid || movingTo(t, deps.shards) !== deps.shard || from === undefined)
          return;
        const owner = deps.owner(from);
        try {
          if (!owner) throw new Error(`shard ${from} has no live owner`);
          const url = new URL(`/clusters/${encodeURIComponent(name)}${STORE_COPY_PATH}`, owner.address);
          const got = await downloadStore(deps.forwarder.agent(owner), url, {
            'kplex-forwarded-by': deps.identity,
          });
          try {
            if (got.file) {
              const info = restoreTenantStore(got.file, deps.pool.pathOf(uid), name);
              if (info.tenantUid !== uid) throw new Error(`the copy is of tenant UID ${info.tenantUid}`);
            }
          } finally {
            got.cleanup();
          }
          const res = await deps.host.request(
            'PATCH',
            `${TENANTS_PATH}/${name}`,
            movedPatch(t, deps.shard),
            'application/merge-patch+json',
          );
          if (res.status === 200) {
            deps.logger.info({ tenant: name, from }, 'tenant move: served here now (new owner)');
            return;
          }
          throw new Error(`relabelling the Tenant: host answered ${res.status}`);
        } catch (err) {
          deps.logger.warn({ err, tenant: name }, 'tenant move: pulling the store failed; retrying');
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    } finally {
      this.pulling.delete(uid);
    }
  }
}
