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
