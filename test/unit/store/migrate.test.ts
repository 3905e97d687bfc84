import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultMigrationsDir, loadMigrations, migrate } from '../../../src/store/migrate.js';
import { tempDir } from './helpers.js';

describe('migrate', () => {
  it('finds the packaged migrations relative to the package root', () => {
    expect(defaultMigrationsDir).toMatch(/storage\/migrations\/?$/);
    expect(loadMigrations()[0]).toMatchObject({ version: 1, name: '0001_init.sql' });
  });

  it('applies pending migrations once and records user_version', () => {
    const dir = join(tempDir(), 'migrations');
    mkdirSync(dir);
    writeFileSync(join(dir, '0001_a.sql'), 'CREATE TABLE a (x INTEGER);');
    writeFileSync(join(dir, '0002_b.sql'), 'CREATE TABLE b (y INTEGER);');
    writeFileSync(join(dir, 'README.md'), 'not a migration');
    const db = new Database(join(tempDir(), 'm.db'));
    try {
      expect(migrate(db, loadMigrations(dir))).toBe(2);
      expect(db.pragma('user_version', { simple: true })).toBe(2);
      expect(migrate(db, loadMigrations(dir))).toBe(2); // idempotent
      const tables = db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
        .pluck()
        .all();
      expect(tables).toEqual(['a', 'b']);
    } finally {
      db.close();
    }
  });

  it('rolls back a failing migration and keeps the previous version', () => {
    const dir = join(tempDir(), 'migrations');
    mkdirSync(dir);
    writeFileSync(join(dir, '0001_a.sql'), 'CREATE TABLE a (x INTEGER);');
    writeFileSync(join(dir, '0002_bad.sql'), 'CREATE TABLE b (y INTEGER); SELECT * FROM missing;');
    const db = new Database(join(tempDir(), 'm.db'));
    try {
      expect(() => migrate(db, loadMigrations(dir))).toThrow(/missing/);
      expect(db.pragma('user_version', { simple: true })).toBe(1);
      expect(db.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'b'`).pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });

  it('0004 moves objects out of the key b-tree, keeping rows, uniqueness and the owner index', () => {
    const all = loadMigrations();
    const db = new Database(join(tempDir(), 'm.db'));
    try {
      migrate(
        db,
        all.filter((m) => m.version <= 3),
      );
      const insert = db.prepare(
        `INSERT INTO objects ("group", resource, namespace, name, rv, json) VALUES (?, ?, ?, ?, ?, ?)`,
      );
      const owned = { metadata: { name: 'b', ownerReferences: [{ uid: 'u-a' }] } };
      insert.run('', 'configmaps', 'default', 'a', 1, JSON.stringify({ metadata: { uid: 'u-a' } }));
      insert.run('', 'configmaps', 'default', 'b', 2, JSON.stringify(owned));
      expect(migrate(db, all)).toBe(all.at(-1)!.version);
      const rows = db.prepare(`SELECT rowid, name, rv FROM objects ORDER BY name`).all();
      expect(rows).toEqual([
        { rowid: 1, name: 'a', rv: 1 },
        { rowid: 2, name: 'b', rv: 2 },
      ]);
      expect(() => insert.run('', 'configmaps', 'default', 'a', 3, '{}')).toThrow(/UNIQUE/);
      // The owner_refs triggers came back with the table.
      expect(db.prepare(`SELECT name FROM owner_refs WHERE owner_uid = 'u-a'`).pluck().all()).toEqual(['b']);
      db.prepare(`DELETE FROM objects WHERE name = 'b'`).run();
      expect(db.prepare(`SELECT count(*) FROM owner_refs`).pluck().get()).toBe(0);
      // The store fills uid and owners; the triggers keep owner_refs from them.
      expect(db.prepare(`SELECT uid, owners FROM objects WHERE name = 'a'`).get()).toEqual({
        uid: 'u-a',
        owners: null,
      });
      db.prepare(
        `INSERT INTO objects ("group", resource, namespace, name, rv, uid, owners, json) VALUES ('', 'secrets', 'default', 'c', 4, 'u-c', '["u-a"]', '{}')`,
      ).run();
      expect(db.prepare(`SELECT name FROM owner_refs WHERE owner_uid = 'u-a'`).pluck().all()).toEqual(['c']);
      db.prepare(`UPDATE objects SET owners = '["u-x"]' WHERE name = 'c'`).run();
      expect(db.prepare(`SELECT owner_uid FROM owner_refs`).pluck().all()).toEqual(['u-x']);
      // Counting keys after a position reads the index, never an object's JSON.
      const plan = db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT COUNT(*) FROM objects WHERE "group" = '' AND resource = 'configmaps' AND (namespace, name) > ('', '')`,
        )
        .all() as { detail: string }[];
      expect(plan.map((p) => p.detail).join()).toMatch(/COVERING INDEX objects_by_key/);
    } finally {
      db.close();
    }
  });

  it('refuses a database written by a newer schema', () => {
    const db = new Database(join(tempDir(), 'm.db'));
    try {
      db.pragma('user_version = 99');
      expect(() => migrate(db)).toThrow(/newer/);
    } finally {
      db.close();
    }
  });

  it('opens tenant databases in WAL mode with the configured synchronous level', async () => {
    const { SqliteHandle } = await import('../../../src/store/sqlite-handle.js');
    const path = join(tempDir(), 't.db');
    for (const [mode, level] of [
      ['FULL', 2],
      ['NORMAL', 1],
    ] as const) {
      const h = new SqliteHandle(path, { synchronous: mode, busyTimeoutMs: 1234, cacheKiB: 512 });
      try {
        expect(h.db.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(h.db.pragma('synchronous', { simple: true })).toBe(level);
        expect(h.db.pragma('busy_timeout', { simple: true })).toBe(1234);
      } finally {
        h.close();
      }
    }
  });
});
