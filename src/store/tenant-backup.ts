// Backup and restore of one tenant's virtual store (its SQLite database file).
//
// A backup is `VACUUM INTO`: one read transaction of the live database, so it is a consistent
// snapshot even while kplex writes (WAL readers never block the writer), plus a one-row table that
// names the tenant it was taken of. A restore replaces the database file as a whole: it is only
// safe when no process has the file open, which restoreTenantStore proves before it swaps.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrate.js';
import { databaseFiles } from './tenant-file.js';

/** The table a backup carries (dropped again on restore: a live store never has it). */
const INFO_TABLE = 'kplex_backup';
/** Where HostNamespaces records the host namespace of each virtual namespace. */
const HOST_NAMESPACE_MAPPINGS = ['kplex.io', 'internal.hostnamespaces'] as const;

export interface BackupInfo {
  tenant: string;
  /** The Tenant UID the store belonged to when the backup was taken. */
  tenantUid: string;
  takenAt: string;
  /** The tenant's resourceVersion at the snapshot. */
  resourceVersion: number;
  /** Schema version (PRAGMA user_version) of the copy. */
  schema: number;
}

/** Copies the store at `dbPath` to `outFile` (which must not exist) and returns what it holds. */
export function backupTenantStore(
  dbPath: string,
  outFile: string,
  of: { tenant: string; tenantUid: string },
  now = new Date(),
): BackupInfo {
  if (!existsSync(dbPath))
    throw new Error(`tenant "${of.tenant}" has no store at ${dbPath} (never served with this data dir?)`);
  if (existsSync(outFile)) throw new Error(`${outFile} exists; a backup never overwrites a file`);
  const partial = `${outFile}.partial-${process.pid}`;
  rmSync(partial, { force: true });
  const src = new Database(dbPath, { fileMustExist: true });
  try {
    src.pragma('busy_timeout = 10000');
    src.prepare('VACUUM INTO ?').run(partial);
  } finally {
    src.close();
  }
  try {
    const copy = new Database(partial, { fileMustExist: true });
    try {
      const info: BackupInfo = {
        ...of,
        takenAt: now.toISOString(),
        resourceVersion: metaRv(copy),
        schema: copy.pragma('user_version', { simple: true }) as number,
      };
      copy.exec(`CREATE TABLE ${INFO_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), info TEXT NOT NULL)`);
      copy.prepare(`INSERT INTO ${INFO_TABLE} (id, info) VALUES (1, ?)`).run(JSON.stringify(info));
      copy.pragma('journal_mode = DELETE');
      copy.close();
      renameSync(partial, outFile);
      return info;
    } finally {
      if (copy.open) copy.close();
    }
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
}

/** Reads and checks a backup file: its info row, the store tables, SQLite's integrity check. */
export function readBackup(file: string): BackupInfo {
  if (!existsSync(file)) throw new Error(`${file}: no such file`);
  let db;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new Error(`${file} is not a kplex tenant backup: ${(err as Error).message}`, { cause: err });
  }
  try {
    const row = tryGet<{ info: string }>(db, `SELECT info FROM ${INFO_TABLE} WHERE id = 1`);
    if (!row) throw new Error(`${file} is not a kplex tenant backup (no ${INFO_TABLE} table)`);
    const info = JSON.parse(row.info) as BackupInfo;
    if (typeof info.tenant !== 'string' || typeof info.tenantUid !== 'string')
      throw new Error(`${file}: malformed backup info`);
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`${file} is damaged: ${String(check)}`);
    metaRv(db);
    return info;
  } finally {
    db.close();
  }
}

/**
 * Replaces the store at `dbPath` by the backup's content. Refuses when the backup is of another
 * tenant name or when any process has the current database open (a running kplex keeps caches of
 * the store: swapping the file under it would serve a mix of both).
 */
export function restoreTenantStore(file: string, dbPath: string, tenant: string): BackupInfo {
  const info = readBackup(file);
  if (info.tenant !== tenant)
    throw new Error(`${file} is a backup of tenant "${info.tenant}", not of "${tenant}"`);
  mkdirSync(path.dirname(dbPath), { recursive: true }); // a data dir that never served yet
  const staged = `${dbPath}.restoring-${process.pid}`;
  for (const f of databaseFiles(staged)) rmSync(f, { force: true });
  try {
    const src = new Database(file, { readonly: true, fileMustExist: true });
    try {
      src.prepare('VACUUM INTO ?').run(staged);
    } finally {
      src.close();
    }
    const db = new Database(staged, { fileMustExist: true });
    try {
      db.exec(`DROP TABLE ${INFO_TABLE}`);
      migrate(db); // a backup of an older kplex comes up to this one's schema
      // The recorded host namespaces (src/tenancy/host-namespaces.ts) name what the host held then:
      // forgotten, each is found again (ours, by its labels) or made again on first use.
      db.prepare(`DELETE FROM objects WHERE "group" = ? AND resource = ?`).run(...HOST_NAMESPACE_MAPPINGS);
    } finally {
      db.close();
    }
    assertUnused(dbPath);
    // The old WAL must go before the new file arrives: SQLite would replay it onto the new one.
    for (const f of databaseFiles(dbPath)) rmSync(f, { force: true });
    renameSync(staged, dbPath);
    return info;
  } finally {
    for (const f of databaseFiles(staged)) rmSync(f, { force: true });
  }
}

/**
 * Throws when another connection has the database open: leaving WAL mode needs the only
 * connection (SQLITE_BUSY otherwise), and the file is replaced right after, so the change is moot.
 */
function assertUnused(dbPath: string): void {
  if (!existsSync(dbPath)) return;
  const db = new Database(dbPath, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('journal_mode = DELETE');
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY')
      throw new Error(`the store ${dbPath} is open in another process (a running kplex?); stop it first`, {
        cause: err,
      });
    throw err;
  } finally {
    db.close();
  }
}

function metaRv(db: Database.Database): number {
  const meta = tryGet<{ rv: number }>(db, 'SELECT rv FROM meta WHERE id = 1');
  if (!meta) throw new Error('not a kplex tenant store (no meta row)');
  return meta.rv;
}

function tryGet<T>(db: Database.Database, sql: string): T | undefined {
  try {
    return db.prepare(sql).get() as T | undefined;
  } catch (err) {
    if (/no such table/.test((err as Error).message)) return undefined;
    throw err;
  }
}
