// Backup and restore of one tenant store: a consistent copy taken while the store is open and
// written, a restore that refuses another tenant's backup and a store some connection holds open.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorePool } from '../../../src/store/store-pool.js';
import { backupTenantStore, readBackup, restoreTenantStore } from '../../../src/store/tenant-backup.js';
import { markServing, servingPid } from '../../../src/store/serve-marker.js';

const key = (name: string) => ({ group: 'example.com', resource: 'widgets', namespace: 'ns', name });
const widget = (name: string) => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name, namespace: 'ns', uid: `uid-${name}` },
});

describe('tenant backup and restore', () => {
  let dir: string;
  let pool: StorePool;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kplex-backup-'));
    pool = new StorePool({ dataDir: path.join(dir, 'tenants'), idleCloseMs: 0 });
  });
  afterEach(() => {
    pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies the open store at its current resourceVersion and restores it with the same versions', () => {
    const s = pool.get('u1');
    const a = s.create(key('a'), widget('a'));
    s.create(key('b'), widget('b'));
    const out = path.join(dir, 'acme.backup');
    const info = backupTenantStore(pool.pathOf('u1'), out, { tenant: 'acme', tenantUid: 'u1' });
    expect(info).toMatchObject({ tenant: 'acme', tenantUid: 'u1', resourceVersion: s.currentRV() });
    expect(readBackup(out).resourceVersion).toBe(info.resourceVersion);
    // Writes after the backup are not in it.
    s.create(key('c'), widget('c'));
    expect(() => backupTenantStore(pool.pathOf('u1'), out, { tenant: 'acme', tenantUid: 'u1' })).toThrow(
      /exists/,
    );

    // Restored into a new Tenant's (UID u2) store file.
    restoreTenantStore(out, pool.pathOf('u2'), 'acme');
    const r = pool.get('u2');
    expect(r.get(key('a'))?.object.metadata?.uid).toBe('uid-a');
    expect(r.get(key('a'))?.rv).toBe(a.rv);
    expect(r.get(key('c'))).toBeUndefined();
    expect(r.currentRV()).toBe(info.resourceVersion);
    // New writes continue after the restored resourceVersion.
    expect(r.create(key('d'), widget('d')).rv).toBe(info.resourceVersion + 1);
  });

  it('refuses a backup of another tenant, a file that is no backup, and a store another connection holds', () => {
    pool.get('u1').create(key('a'), widget('a'));
    const out = path.join(dir, 'acme.backup');
    backupTenantStore(pool.pathOf('u1'), out, { tenant: 'acme', tenantUid: 'u1' });
    expect(() => restoreTenantStore(out, pool.pathOf('u2'), 'other')).toThrow(
      /of tenant "acme", not of "other"/,
    );
    const junk = path.join(dir, 'junk');
    writeFileSync(junk, 'not sqlite at all, but long enough to be read as a header.........................');
    expect(() => restoreTenantStore(junk, pool.pathOf('u2'), 'acme')).toThrow(
      /not a kplex tenant backup|not a database/,
    );
    // u1's store is open in the pool: replacing it under the pool is refused.
    expect(() => restoreTenantStore(out, pool.pathOf('u1'), 'acme')).toThrow(/open in another process/);
    pool.close();
    restoreTenantStore(out, pool.pathOf('u1'), 'acme');
  });

  it('restores into a data dir that never served', () => {
    pool.get('u1').create(key('a'), widget('a'));
    const out = path.join(dir, 'acme.backup');
    backupTenantStore(pool.pathOf('u1'), out, { tenant: 'acme', tenantUid: 'u1' });
    const fresh = new StorePool({ dataDir: path.join(dir, 'fresh', 'tenants'), idleCloseMs: 0 });
    rmSync(path.join(dir, 'fresh'), { recursive: true, force: true });
    restoreTenantStore(out, fresh.pathOf('u9'), 'acme');
    expect(fresh.get('u9').get(key('a'))?.object.metadata?.uid).toBe('uid-a');
    fresh.close();
  });

  it('refuses a backup of a tenant that has no store', () => {
    expect(() =>
      backupTenantStore(pool.pathOf('none'), path.join(dir, 'x'), { tenant: 'acme', tenantUid: 'none' }),
    ).toThrow(/has no store/);
  });

  it('marks a serving data dir with a live process id only', () => {
    expect(servingPid(dir)).toBeUndefined();
    const unmark = markServing(dir);
    expect(servingPid(dir)).toBe(process.pid);
    unmark();
    expect(servingPid(dir)).toBeUndefined();
    writeFileSync(path.join(dir, 'kplex.pid'), '2147483646\n'); // no such process: a stale marker
    expect(servingPid(dir)).toBeUndefined();
  });
});
