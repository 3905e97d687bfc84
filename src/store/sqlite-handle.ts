// One open tenant database: the connection, its pragmas and its prepared statements (prepared
// once per handle; variants that depend on the query shape are prepared on first use and cached).
import Database from 'better-sqlite3';
import type { Database as DB, Statement, Transaction } from 'better-sqlite3';
import { migrate } from './migrate.js';

export type SynchronousMode = 'FULL' | 'NORMAL';

export interface HandleOptions {
  /** FULL: fsync the WAL on every commit. NORMAL: fsync at checkpoints only (a power loss may lose the last commits, a process crash loses nothing). */
  synchronous: SynchronousMode;
  busyTimeoutMs: number;
  /** Page cache per handle, in KiB (bounded because up to maxOpen handles are open at once). */
  cacheKiB: number;
}

export interface ObjectRow {
  rv: number;
  json: string;
}

export interface ChangeRow {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  group: string;
  resource: string;
  namespace: string;
  name: string;
  json: string;
}

export interface ListRow {
  namespace: string;
  name: string;
  rv: number;
  json: string;
}

export interface KeyRow {
  group: string;
  resource: string;
  namespace: string;
  name: string;
}

const keyWhere = `"group" = ? AND resource = ? AND namespace = ? AND name = ?`;

export class SqliteHandle {
  readonly db: DB;
  readonly getObject: Statement<[string, string, string, string], ObjectRow>;
  /** group, resource, namespace, name, rv, uid, owners (JSON array of owner uids or null), json. */
  readonly insertObject: Statement<
    [string, string, string, string, number, string | null, string | null, string]
  >;
  /** rv, uid, owners, json, then the key. */
  readonly updateObject: Statement<
    [number, string | null, string | null, string, string, string, string, string]
  >;
  readonly deleteObject: Statement<[string, string, string, string]>;
  readonly insertChange: Statement<[number, string, string, string, string, string, string]>;
  readonly changeJson: Statement<[number], { json: string }>;
  readonly deleteChangesUpTo: Statement<[number]>;
  readonly setMeta: Statement<[number, number]>;
  readonly getMeta: Statement<[], { rv: number; compacted_rv: number }>;
  readonly lastChange: Statement<[string, string], { rv: number | null }>;
  readonly keyOfUid: Statement<[string], KeyRow>;
  readonly ownedBy: Statement<[string], KeyRow>;
  readonly externalOwners: Statement<[], { owner_uid: string }>;
  /** Runs a callback in a transaction (a SAVEPOINT when nested); one wrapper per handle. */
  readonly runTx: Transaction<(fn: () => unknown) => unknown>;
  private readonly variants = new Map<string, Statement>();

  constructor(path: string, opts: HandleOptions) {
    this.db = new Database(path);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${opts.synchronous}`);
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs))}`);
      this.db.pragma(`cache_size = -${Math.max(64, Math.floor(opts.cacheKiB))}`);
      migrate(this.db);
    } catch (err) {
      this.db.close();
      throw err;
    }
    const db = this.db;
    this.getObject = db.prepare(`SELECT rv, json FROM objects WHERE ${keyWhere}`);
    this.insertObject = db.prepare(
      `INSERT INTO objects ("group", resource, namespace, name, rv, uid, owners, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.updateObject = db.prepare(
      `UPDATE objects SET rv = ?, uid = ?, owners = ?, json = ? WHERE ${keyWhere}`,
    );
    this.deleteObject = db.prepare(`DELETE FROM objects WHERE ${keyWhere}`);
    this.insertChange = db.prepare(
      `INSERT INTO changes (rv, type, "group", resource, namespace, name, json) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.changeJson = db.prepare(`SELECT json FROM changes WHERE rv = ?`);
    this.deleteChangesUpTo = db.prepare(`DELETE FROM changes WHERE rv <= ?`);
    this.setMeta = db.prepare(`UPDATE meta SET rv = ?, compacted_rv = ? WHERE id = 1`);
    this.getMeta = db.prepare(`SELECT rv, compacted_rv FROM meta WHERE id = 1`);
    this.lastChange = db.prepare(`SELECT MAX(rv) AS rv FROM changes WHERE "group" = ? AND resource = ?`);
    this.keyOfUid = db.prepare(`SELECT "group", resource, namespace, name FROM objects WHERE uid = ?`);
    this.ownedBy = db.prepare(
      `SELECT "group", resource, namespace, name FROM owner_refs WHERE owner_uid = ? ORDER BY "group", resource, namespace, name`,
    );
    this.externalOwners = db.prepare(
      `SELECT DISTINCT r.owner_uid FROM owner_refs r WHERE NOT EXISTS (SELECT 1 FROM objects o WHERE o.uid = r.owner_uid) ORDER BY r.owner_uid`,
    );
    this.runTx = db.transaction((fn: () => unknown) => fn());
  }

  private variant<T>(key: string, sql: () => string): Statement<unknown[], T> {
    let st = this.variants.get(key);
    if (!st) {
      st = this.db.prepare(sql());
      this.variants.set(key, st);
    }
    return st as Statement<unknown[], T>;
  }

  private static scope(withNamespace: boolean): string {
    return withNamespace ? `"group" = ? AND resource = ? AND namespace = ?` : `"group" = ? AND resource = ?`;
  }

  /** Objects after (namespace, name), rv <= atMost, in key order; params: group, resource, [ns], afterNs, afterName, atMost, limit (-1: none). */
  listPage(withNamespace: boolean): Statement<unknown[], ListRow> {
    return this.variant(
      `list:${withNamespace}`,
      () =>
        `SELECT namespace, name, rv, json FROM objects WHERE ${SqliteHandle.scope(withNamespace)} ` +
        `AND (namespace, name) > (?, ?) AND rv <= ? ORDER BY namespace, name LIMIT ?`,
    );
  }

  /** The sizes of the objects listPage would return (octet_length reads no object's JSON); same params. */
  listSizes(withNamespace: boolean): Statement<unknown[], { len: number }> {
    return this.variant(
      `sizes:${withNamespace}`,
      () =>
        `SELECT octet_length(json) AS len FROM objects WHERE ${SqliteHandle.scope(withNamespace)} ` +
        `AND (namespace, name) > (?, ?) AND rv <= ? ORDER BY namespace, name LIMIT ?`,
    );
  }

  /** How many objects the same query would still return after (namespace, name). */
  countAfter(withNamespace: boolean): Statement<unknown[], { n: number }> {
    return this.variant(
      `count:${withNamespace}`,
      () =>
        `SELECT COUNT(*) AS n FROM objects WHERE ${SqliteHandle.scope(withNamespace)} ` +
        `AND (namespace, name) > (?, ?) AND rv <= ?`,
    );
  }

  /** Change-log rows of one resource with rv in (from, to], in rv order; params: from, to, group, resource, [ns]. */
  changesBetween(withNamespace: boolean): Statement<unknown[], ChangeRow> {
    return this.variant(
      `changes:${withNamespace}`,
      () =>
        `SELECT rv, type, "group", resource, namespace, name, json FROM changes ` +
        `WHERE rv > ? AND rv <= ? AND ${SqliteHandle.scope(withNamespace)} ORDER BY rv`,
    );
  }

  /**
   * Keys of one resource changed after a snapshot, with the type of each one's first change after
   * it (SQLite takes bare columns from the MIN row); params: group, resource, [ns], snapshot.
   */
  changedSince(
    withNamespace: boolean,
  ): Statement<unknown[], { namespace: string; name: string; type: ChangeRow['type']; rv: number }> {
    return this.variant(
      `changedSince:${withNamespace}`,
      () =>
        `SELECT namespace, name, type, MIN(rv) AS rv FROM changes WHERE ${SqliteHandle.scope(withNamespace)} ` +
        `AND rv > ? GROUP BY namespace, name`,
    );
  }

  /** A key's last change at or before a snapshot; params: group, resource, namespace, name, snapshot. */
  lastChangeAtOrBefore(): Statement<unknown[], { rv: number; type: ChangeRow['type'] }> {
    return this.variant(
      'lastChangeAtOrBefore',
      () => `SELECT rv, type FROM changes WHERE ${keyWhere} AND rv <= ? ORDER BY rv DESC LIMIT 1`,
    );
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
