// Tenant runtimes and stores are keyed by the Tenant's UID: a tenant created again under a deleted
// tenant's name starts empty, even when the old store files were never removed.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { StorePool } from '../../../src/store/store-pool.js';
import { RuntimeCache } from '../../../src/tenancy/runtime-cache.js';

const U1 = '11111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(uids: Record<string, string | undefined>) {
  const dir = mkdtempSync(join(tmpdir(), 'kplex-rt-'));
  dirs.push(dir);
  const pool = new StorePool({ dataDir: dir, idleCloseMs: 0 });
  return { dir, pool, cache: new RuntimeCache(pool, undefined, createLogger('silent'), (t) => uids[t]) };
}

const KEY = { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', namespace: '', name: 'old-role' };

describe('RuntimeCache', () => {
  it('gives a re-created tenant (same name, new UID) a store of its own', async () => {
    const uids: Record<string, string | undefined> = { acme: U1 };
    const { pool, cache } = setup(uids);
    const old = await cache.get('acme');
    old.store.create(KEY, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'old-role' },
    });
    expect(pool.pathOf(U1)).toMatch(new RegExp(`${U1}\\.db$`));
    uids.acme = U2; // deleted (its files not removed) and created again
    const fresh = await cache.get('acme');
    expect(fresh).not.toBe(old);
    expect(fresh.identity).toEqual({ name: 'acme', uid: U2 });
    expect(fresh.store.get(KEY)).toBeUndefined();
    pool.close();
  });

  it('authorizes without building a runtime or seeding the store, and hands its RBAC view to the runtime', async () => {
    const { pool, cache } = setup({ acme: U1 });
    const alice = { username: 'alice', groups: ['system:authenticated'] };
    const rbac = cache.rbac('acme');
    expect(rbac.policy().rulesFor(alice, 'default').rules.length).toBeGreaterThan(0); // bootstrap discovery rules
    expect(cache.size()).toBe(0);
    expect(pool.get(U1).currentRV()).toBe(0); // nothing seeded
    const rt = await cache.get('acme');
    expect(rt.rbac).toBe(rbac);
    expect(cache.rbac('acme')).toBe(rbac);
    expect(() => cache.rbac('ghost')).toThrow();
    pool.close();
  });

  it('refuses a tenant that does not exist', async () => {
    const { pool, cache } = setup({});
    await expect(cache.get('ghost')).rejects.toMatchObject({ status: { code: 404 } });
    pool.close();
  });

  it('drops only the deleted UID and sweeps the files of tenants gone while kplex was down', async () => {
    const uids: Record<string, string | undefined> = { a: U1 };
    const { dir, pool, cache } = setup(uids);
    await cache.get('a');
    writeFileSync(join(dir, `${U2}.db`), '');
    writeFileSync(join(dir, `${U2}.db-wal`), '');
    writeFileSync(join(dir, 'legacy-name.db'), '');
    expect(cache.sweep(new Set([U1]))).toBe(2);
    expect(existsSync(join(dir, `${U1}.db`))).toBe(true);
    expect(existsSync(join(dir, 'legacy-name.db'))).toBe(true);
    await cache.drop('a', U2); // another UID: nothing of U1 goes
    expect(existsSync(join(dir, `${U1}.db`))).toBe(true);
    await cache.drop('a', U1);
    expect(existsSync(join(dir, `${U1}.db`))).toBe(false);
    pool.close();
  });
});
