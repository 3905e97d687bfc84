// Schema migrations for tenant databases: numbered SQL files (`0001_init.sql`, ...) in
// storage/migrations, applied in order; PRAGMA user_version records the last one applied.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Database } from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** storage/migrations of the package: two levels above this file both in src/store and dist/store. */
export const defaultMigrationsDir = fileURLToPath(new URL('../../storage/migrations/', import.meta.url));

const cache = new Map<string, Migration[]>();

/** Reads (once per process and directory) the migrations of `dir`, sorted by version. */
export function loadMigrations(dir = defaultMigrationsDir): Migration[] {
  const cached = cache.get(dir);
  if (cached) return cached;
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = /^(\d+)_[\w.-]*\.sql$/.exec(file);
    if (!m) continue;
    const version = Number(m[1]);
    if (migrations.some((x) => x.version === version))
      throw new Error(`duplicate migration version ${version} in ${dir}`);
    migrations.push({ version, name: file, sql: readFileSync(`${dir}/${file}`, 'utf8') });
  }
  migrations.sort((a, b) => a.version - b.version);
  cache.set(dir, migrations);
  return migrations;
}

/** Brings `db` to the latest schema; each migration commits atomically with its user_version. */
export function migrate(db: Database, migrations: Migration[] = loadMigrations()): number {
  let current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(`database schema version ${current} is newer than this kplex knows (${latest})`);
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
    current = m.version;
  }
  return current;
}
