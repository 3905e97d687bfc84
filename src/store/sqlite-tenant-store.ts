// TenantStore over one SQLite database file. Every write bumps the tenant's resourceVersion,
// stores it in metadata.resourceVersion and appends to the change log in the same transaction;
// watchers are told after the commit. The database handle opens on first use and may be closed
// by the pool at any time the store is idle: the object stays valid and reopens on demand, so
// there is exactly one store object (one rv counter, one set of watchers) per tenant.
import { open, type FileHandle } from 'node:fs/promises';
import { cloneJSON, type KubeObject } from '../api/object.js';
import { alreadyExists, conflict, gone, notFound, resourceExpired } from '../api/status.js';
import { compareListKeys, formatListKey, parseListKey, type ListPosition } from './list-key.js';
import { SqliteHandle, type ChangeRow, type SynchronousMode } from './sqlite-handle.js';
import type {
  ChangeEvent,
  ChangeType,
  ListQuery,
  ListResult,
  ObjectKey,
  StoredObject,
  TenantStore,
  WatchQuery,
  Watcher,
} from './types.js';
import { WatchHub } from './watch-hub.js';
import {
  admitWrite,
  isInternal,
  isNamespace,
  usageQuery,
  type StoreLimits,
  type StoreUsage,
} from '../limits/store-usage.js';

export const optimisticLockMessage =
  'the object has been modified; please apply your changes to the latest version and try again';

/** etcd3's message when a continue token's snapshot can no longer be served. */
export const continueExpiredMessage =
  'The provided continue parameter is too old to display a consistent list result. ' +
  'You can start a new list without the continue parameter.';

export interface SqliteTenantStoreOptions {
  /** Default FULL (every acknowledged write survives power loss); NORMAL trades that for speed. */
  synchronous?: SynchronousMode;
  /**
   * With FULL (the default: true): commits do not fsync on the event loop; durable() fsyncs the
   * log off it, once for all the writes committed meanwhile (group commit), and a write is
   * acknowledged only after that. False: SQLite fsyncs every commit on the caller's thread.
   */
  groupCommit?: boolean;
  /** Default 5000. */
  busyTimeoutMs?: number;
  /** Changes kept for watches; older ones are compacted away. Default 10,000. */
  changeLogRetention?: number;
  /** SQLite page cache per open handle. Default 2048 KiB. */
  cacheKiB?: number;
  /** Told about exceptions thrown by watcher callbacks (that watcher is stopped). */
  onWatcherError?: (err: unknown, tenant: string) => void;
  /** Called each time the store opens its database handle (the pool bounds open handles with it). */
  onOpen?: (store: SqliteTenantStore) => void;
  /** Called each time the store closes its database handle. */
  onClose?: (store: SqliteTenantStore) => void;
  /**
   * Asked before every write transaction: an error refuses the write before anything is written
   * (a sharded replica past its Lease's renew deadline may no longer write: fencing at the store,
   * not only at the request gate, so a request admitted just before cannot commit after it).
   */
  writable?: (tenant: string) => Error | undefined;
  /** The tenant's store limits: every write is checked against them here, the one place writes happen. */
  limits?: (tenant: string) => StoreLimits;
}

/** Snapshot of in-memory counters taken when a (nested) transaction starts, restored on rollback. */
interface TxMark {
  rv: number;
  compactedRV: number;
  pending: number;
  usage?: StoreUsage;
}

let useTick = 0;

export class SqliteTenantStore implements TenantStore {
  private h: SqliteHandle | undefined;
  private loaded = false;
  private destroyed = false;
  /** Latest rv including writes of an open transaction. */
  private rv = 0;
  private committedRV = 0;
  private compactedRV = 0;
  private depth = 0;
  private pending: ChangeEvent[] = [];
  private readonly hub: WatchHub;
  private readonly retention: number;
  /** Counted on the first write (limits), then kept current by every write. */
  private usage?: StoreUsage;
  /** Group commit: a commit not yet covered by an fsync, the fsync running and the one queued behind it. */
  private readonly groupCommit: boolean;
  private unsynced = false;
  private syncing?: Promise<void>;
  private queuedSync?: Promise<void>;
  /** For the pool: when the store was last used (ms) and a monotonic use counter (LRU order). */
  lastUsedAt = 0;
  lastUseTick = 0;

  constructor(
    readonly tenant: string,
    readonly path: string,
    private readonly opts: SqliteTenantStoreOptions = {},
  ) {
    this.retention = Math.max(1, Math.floor(opts.changeLogRetention ?? 10_000));
    this.groupCommit = (opts.synchronous ?? 'FULL') === 'FULL' && opts.groupCommit !== false;
    this.hub = new WatchHub((err) => opts.onWatcherError?.(err, tenant));
  }

  // ---- lifecycle ----

  get isOpen(): boolean {
    return this.h !== undefined;
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  get watcherCount(): number {
    return this.hub.size;
  }

  /** Opens the database now (it otherwise opens on first use). */
  open(): void {
    this.handle();
  }

  /** Closes the database handle; the store reopens it on next use. Refuses (false) inside a transaction. */
  close(): boolean {
    if (this.depth > 0) return false;
    if (this.h) {
      this.h.close();
      this.h = undefined;
      this.opts.onClose?.(this);
    }
    return true;
  }

  /** Stops every watcher, closes the handle and makes the store unusable (its files are about to go). */
  destroy(): void {
    this.hub.stopAll();
    this.depth = 0;
    this.close();
    this.destroyed = true;
  }

  private handle(): SqliteHandle {
    if (this.destroyed) throw new Error(`the store of tenant "${this.tenant}" was deleted`);
    this.lastUsedAt = Date.now();
    this.lastUseTick = ++useTick;
    if (!this.h) {
      const h = new SqliteHandle(this.path, {
        // Group commit keeps FULL's guarantee through durable(): SQLite itself need not fsync.
        synchronous: this.groupCommit ? 'NORMAL' : (this.opts.synchronous ?? 'FULL'),
        busyTimeoutMs: this.opts.busyTimeoutMs ?? 5000,
        cacheKiB: this.opts.cacheKiB ?? 2048,
      });
      const meta = h.getMeta.get();
      if (!meta) {
        h.close();
        throw new Error(`tenant database ${this.path} has no meta row`);
      }
      this.h = h;
      this.rv = this.committedRV = meta.rv;
      this.compactedRV = meta.compacted_rv;
      this.loaded = true;
      this.opts.onOpen?.(this);
    }
    return this.h;
  }

  /** Counters are cached in memory, so asking for them does not reopen an idle store. */
  private counters(): void {
    if (!this.loaded) this.handle();
  }

  // ---- TenantStore ----

  /**
   * Resolves once every write committed so far is on disk. One fsync of the write-ahead log (in
   * libuv's thread pool, not on the event loop) covers all the writes committed before it starts;
   * writes committed while it runs share the next one.
   */
  durable(): Promise<void> {
    if (!this.groupCommit) return Promise.resolve();
    if (!this.unsynced) return this.syncing ?? Promise.resolve();
    if (!this.syncing) return this.syncNow();
    const after = (): Promise<void> => {
      this.queuedSync = undefined;
      return this.syncNow();
    };
    return (this.queuedSync ??= this.syncing.then(after, after));
  }

  private syncNow(): Promise<void> {
    this.unsynced = false;
    const p: Promise<void> = syncFile(`${this.path}-wal`).finally(() => {
      if (this.syncing === p) this.syncing = undefined;
    });
    this.syncing = p;
    return p;
  }

  currentRV(): number {
    this.counters();
    return this.rv;
  }

  oldestWatchableRV(): number {
    this.counters();
    return this.compactedRV;
  }

  lastChangeRV(group: string, resource: string): number {
    return this.handle().lastChange.get(group, resource)?.rv ?? 0;
  }

  keyOfUid(uid: string): ObjectKey | undefined {
    const r = this.handle().keyOfUid.get(uid);
    return r && { group: r.group, resource: r.resource, namespace: r.namespace, name: r.name };
  }

  dependentsOf(uid: string): ObjectKey[] {
    return this.handle()
      .ownedBy.all(uid)
      .map((r) => ({ group: r.group, resource: r.resource, namespace: r.namespace, name: r.name }));
  }

  externalOwners(): string[] {
    return this.handle()
      .externalOwners.all()
      .map((r) => r.owner_uid);
  }

  get(key: ObjectKey): StoredObject | undefined {
    const row = this.handle().getObject.get(key.group, key.resource, key.namespace, key.name);
    return row ? { key: { ...key }, rv: row.rv, object: JSON.parse(row.json) as KubeObject } : undefined;
  }

  create(key: ObjectKey, object: KubeObject): StoredObject {
    return this.transaction(() => {
      const h = this.handle();
      if (h.getObject.get(key.group, key.resource, key.namespace, key.name)) {
        throw alreadyExists(key, key.name);
      }
      const rv = this.rv + 1;
      const stored = withRV(object, rv);
      const json = JSON.stringify(stored);
      this.account(h, key, {
        objects: 1,
        bytes: Buffer.byteLength(json),
        namespaces: isNamespace(key) ? 1 : 0,
      });
      h.insertObject.run(
        key.group,
        key.resource,
        key.namespace,
        key.name,
        rv,
        uidOf(stored),
        ownersOf(stored),
        json,
      );
      return this.record('ADDED', key, rv, json, stored);
    });
  }

  update(key: ObjectKey, object: KubeObject, expectedRV?: number): StoredObject {
    return this.transaction(() => {
      const h = this.handle();
      const old = this.current(h, key, expectedRV);
      const rv = this.rv + 1;
      const stored = withRV(object, rv);
      const json = JSON.stringify(stored);
      // An object being deleted is written on its way out (finalizers, status): never refused.
      const deleting = !!object.metadata?.deletionTimestamp;
      this.account(
        h,
        key,
        { objects: 0, bytes: Buffer.byteLength(json) - Buffer.byteLength(old.json), namespaces: 0 },
        deleting,
      );
      h.updateObject.run(
        rv,
        uidOf(stored),
        ownersOf(stored),
        json,
        key.group,
        key.resource,
        key.namespace,
        key.name,
      );
      return this.record('MODIFIED', key, rv, json, stored);
    });
  }

  delete(key: ObjectKey, expectedRV?: number): StoredObject {
    return this.transaction(() => {
      const h = this.handle();
      const row = this.current(h, key, expectedRV);
      const rv = this.rv + 1;
      const stored = withRV(JSON.parse(row.json) as KubeObject, rv);
      const json = JSON.stringify(stored);
      this.account(h, key, {
        objects: -1,
        bytes: -Buffer.byteLength(row.json),
        namespaces: isNamespace(key) ? -1 : 0,
      });
      h.deleteObject.run(key.group, key.resource, key.namespace, key.name);
      return this.record('DELETED', key, rv, json, stored);
    });
  }

  transaction<T>(fn: () => T): T {
    const refused = this.depth === 0 ? this.opts.writable?.(this.tenant) : undefined;
    if (refused) throw refused;
    const h = this.handle();
    const mark: TxMark = {
      rv: this.rv,
      compactedRV: this.compactedRV,
      pending: this.pending.length,
      usage: this.usage && { ...this.usage },
    };
    this.depth++;
    let result: T;
    try {
      // Outermost: BEGIN IMMEDIATE (no lock upgrade deadlocks); nested: a SAVEPOINT.
      result = h.runTx.immediate(() => {
        const r = fn();
        if (r instanceof Promise) throw new TypeError('transaction callbacks must be synchronous');
        return r;
      }) as T;
    } catch (err) {
      this.rv = mark.rv;
      this.compactedRV = mark.compactedRV;
      this.pending.length = mark.pending;
      this.usage = mark.usage;
      throw err;
    } finally {
      this.depth--;
    }
    if (this.depth === 0) this.afterCommit();
    return result;
  }

  list(q: ListQuery): ListResult {
    const h = this.handle();
    return h.runTx.deferred(() => this.listSnapshot(h, q)) as ListResult;
  }

  watch(q: WatchQuery, onEvent: (e: ChangeEvent) => void): Watcher {
    const h = this.handle();
    if (q.fromRV < this.compactedRV) {
      throw resourceExpired(String(q.fromRV), String(this.compactedRV));
    }
    // Only committed rows: events of an open transaction reach the watcher when it commits.
    const withNs = q.namespace !== undefined;
    const params: unknown[] = [q.fromRV, this.committedRV, q.group, q.resource];
    if (withNs) params.push(q.namespace);
    const replay = h
      .changesBetween(withNs)
      .all(...params)
      .map(toEvent);
    return this.hub.subscribe(
      { group: q.group, resource: q.resource, namespace: q.namespace },
      q.fromRV,
      replay,
      onEvent,
    );
  }

  /**
   * What the store holds (objects, bytes of their JSON, namespaces; kplex's own rows not counted),
   * for the Tenant's status: counted once while the database is open, then kept by every write.
   * Undefined for a closed store never counted: reporting an idle tenant opens no file.
   */
  usageIfOpen(): StoreUsage | undefined {
    if (!this.usage && this.h) {
      const counted = this.h.db.prepare(usageQuery).get() as StoreUsage;
      // Writes keep the count only when limits are checked (account()); otherwise it is not cached.
      if (!this.opts.limits) return counted;
      this.usage = counted;
    }
    return this.usage && { ...this.usage };
  }

  // ---- internals ----

  /** Checks a write's change of the store's usage against the tenant's limits, then counts it. */
  private account(h: SqliteHandle, key: ObjectKey, delta: StoreUsage, exempt = false): void {
    if (!this.opts.limits || isInternal(key)) return;
    this.usage ??= h.db.prepare(usageQuery).get() as StoreUsage;
    if (!exempt) admitWrite(this.usage, delta, this.opts.limits(this.tenant), key, key.name);
    this.usage.objects += delta.objects;
    this.usage.bytes += delta.bytes;
    this.usage.namespaces += delta.namespaces;
  }

  /** The stored row of `key`, checked against expectedRV. */
  private current(h: SqliteHandle, key: ObjectKey, expectedRV: number | undefined) {
    const row = h.getObject.get(key.group, key.resource, key.namespace, key.name);
    if (!row) throw notFound(key, key.name);
    if (expectedRV !== undefined && row.rv !== expectedRV)
      throw conflict(key, key.name, optimisticLockMessage);
    return row;
  }

  /** Appends the change, advances rv and compacts the log, all inside the caller's transaction. */
  private record(
    type: ChangeType,
    key: ObjectKey,
    rv: number,
    json: string,
    object: KubeObject,
  ): StoredObject {
    const h = this.h!;
    h.insertChange.run(rv, type, key.group, key.resource, key.namespace, key.name, json);
    let compacted = this.compactedRV;
    if (rv - compacted > this.retention) {
      compacted = rv - this.retention;
      h.deleteChangesUpTo.run(compacted);
    }
    h.setMeta.run(rv, compacted);
    this.rv = rv;
    this.compactedRV = compacted;
    // Separate copies: callers and watchers may each hold (and a caller may mutate) its own.
    this.pending.push({ rv, type, key: { ...key }, object: cloneJSON(object) });
    return { key: { ...key }, rv, object: cloneJSON(object) };
  }

  private afterCommit(): void {
    this.committedRV = this.rv;
    if (this.pending.length) this.unsynced = true;
    const events = this.pending;
    this.pending = [];
    this.hub.publish(events);
  }

  private listSnapshot(h: SqliteHandle, q: ListQuery): ListResult {
    const withNs = q.namespace !== undefined;
    const scope: unknown[] = withNs ? [q.group, q.resource, q.namespace] : [q.group, q.resource];
    const after: ListPosition = q.after !== undefined ? parseListKey(q.after) : { namespace: '', name: '' };
    const limit = q.limit !== undefined && q.limit > 0 ? Math.floor(q.limit) : -1;
    const snapshot = q.atMostRV === undefined ? this.rv : Math.min(q.atMostRV, this.rv);
    // Objects written after the snapshot are left out of the table scan; their state as of the
    // snapshot is rebuilt from the change log and merged in.
    const past = snapshot < this.rv ? this.pastStates(h, q, scope, snapshot, after) : [];

    let pageLimit = limit;
    if (q.maxBytes !== undefined) {
      // As many rows as fit in maxBytes (at least one), counted from their sizes before any is read.
      let fit = 0;
      let size = 0;
      for (const r of h.listSizes(withNs).iterate(...scope, after.namespace, after.name, snapshot, limit)) {
        size += r.len;
        if (fit > 0 && size > q.maxBytes) break;
        fit++;
      }
      pageLimit = Math.max(1, fit);
    }
    const rows = h.listPage(withNs).all(...scope, after.namespace, after.name, snapshot, pageLimit);
    // Cut short by size: the page ends at its last row (past states after it belong to later pages).
    const cut = pageLimit !== limit && rows.length === pageLimit ? rows[rows.length - 1] : undefined;
    const merged: StoredObject[] = [];
    let bytes = 0;
    let ti = 0;
    let pi = 0;
    while ((limit < 0 || merged.length < limit) && (ti < rows.length || pi < past.length)) {
      const t = rows[ti];
      const p = past[pi];
      if (t && (!p || compareListKeys(t, p.key) < 0)) {
        merged.push(rowToStored(q, t));
        bytes += t.json.length;
        ti++;
      } else {
        if (cut && compareListKeys(p!.key, cut) > 0) break;
        merged.push(p!);
        pi++;
      }
    }

    const result: ListResult = { items: merged, rv: snapshot, bytes };
    const lastItem = merged.at(-1);
    if (((limit > 0 && merged.length === limit) || cut) && lastItem) {
      const last = { namespace: lastItem.key.namespace, name: lastItem.key.name };
      const inTable = h.countAfter(withNs).get(...scope, last.namespace, last.name, snapshot)?.n ?? 0;
      const inPast = past.filter((p) => compareListKeys(p.key, last) > 0).length;
      if (inTable + inPast > 0) {
        result.last = formatListKey(last);
        result.remaining = inTable + inPast;
      }
    }
    return result;
  }

  /**
   * The objects (after `after`, in key order) that existed at `snapshot` but were changed since:
   * each one's last change at or before the snapshot. Throws 410 when the log was compacted past
   * what that needs.
   */
  private pastStates(
    h: SqliteHandle,
    q: ListQuery,
    scope: unknown[],
    snapshot: number,
    after: ListPosition,
  ): StoredObject[] {
    if (snapshot < this.compactedRV) throw gone(continueExpiredMessage);
    // Only the keys changed after the snapshot differ from the table: each one's state then is
    // its last change at or before it (an index lookup), not a scan of the resource's log.
    const out: StoredObject[] = [];
    for (const c of h.changedSince(q.namespace !== undefined).iterate(...scope, snapshot)) {
      const key = { namespace: c.namespace, name: c.name };
      if (compareListKeys(key, after) <= 0) continue;
      const before = h.lastChangeAtOrBefore().get(q.group, q.resource, c.namespace, c.name, snapshot);
      if (before) {
        if (before.type === 'DELETED') continue;
        const json = h.changeJson.get(before.rv)!.json;
        out.push({
          key: { group: q.group, resource: q.resource, ...key },
          rv: before.rv,
          object: JSON.parse(json) as KubeObject,
        });
      } else if (c.type !== 'ADDED') {
        // It existed at the snapshot, but its state then was compacted away.
        throw gone(continueExpiredMessage);
      }
    }
    return out.sort((a, b) => compareListKeys(a.key, b.key));
  }
}

/**
 * fdatasync of a file through a descriptor of its own (it flushes what any descriptor wrote). No
 * file: the log was checkpointed into the database and removed, and SQLite synced that itself.
 */
async function syncFile(path: string): Promise<void> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** The uid column: what the garbage collector finds owners by. */
function uidOf(o: KubeObject): string | null {
  return typeof o.metadata?.uid === 'string' ? o.metadata.uid : null;
}

/** The owners column: the uids the object's ownerReferences name, as a JSON array (null: none). */
function ownersOf(o: KubeObject): string | null {
  const refs: unknown = o.metadata?.ownerReferences;
  if (!Array.isArray(refs)) return null;
  const uids = refs.flatMap((r) =>
    typeof (r as { uid?: unknown })?.uid === 'string' ? [(r as { uid: string }).uid] : [],
  );
  return uids.length ? JSON.stringify(uids) : null;
}

/** The object as stored at `rv` (shallow: the caller's nested values are copied when recorded). */
function withRV(object: KubeObject, rv: number): KubeObject {
  return { ...object, metadata: { ...(object.metadata ?? {}), resourceVersion: String(rv) } };
}

function rowToStored(
  q: ListQuery,
  r: { namespace: string; name: string; rv: number; json: string },
): StoredObject {
  // Decoded when first used: a LIST that writes the stored text as it is never parses it.
  let object: KubeObject | undefined;
  return {
    key: { group: q.group, resource: q.resource, namespace: r.namespace, name: r.name },
    rv: r.rv,
    json: r.json,
    get object(): KubeObject {
      return (object ??= JSON.parse(r.json) as KubeObject);
    },
    set object(v: KubeObject) {
      object = v;
    },
  };
}

function toEvent(c: ChangeRow): ChangeEvent {
  return {
    rv: c.rv,
    type: c.type,
    key: { group: c.group, resource: c.resource, namespace: c.namespace, name: c.name },
    object: JSON.parse(c.json) as KubeObject,
  };
}
