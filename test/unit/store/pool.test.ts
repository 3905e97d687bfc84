import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { StorePool } from '../../../src/store/store-pool.js';
import { tenantFileName } from '../../../src/store/tenant-file.js';
import { cm, tempDir } from './helpers.js';

const pools: StorePool[] = [];
afterEach(() => {
  for (const p of pools.splice(0)) p.close();
});

function pool(opts: Partial<ConstructorParameters<typeof StorePool>[0]> = {}): StorePool {
  const p = new StorePool({ dataDir: tempDir(), idleCloseMs: 0, ...opts });
  pools.push(p);
  return p;
}

/** Database files (not -wal/-shm) this process holds open under `dir`, from /proc/self/fd. */
function openDatabaseFiles(dir: string): string[] {
  const out = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir) && target.endsWith('.db')) out.add(target);
    } catch {
      // the fd closed while listing
    }
  }
  return [...out];
}

const linux = existsSync('/proc/self/fd');

describe('StorePool', () => {
  it.runIf(linux)('keeps at most maxOpen handles, closing the least recently used', () => {
    const p = pool({ maxOpen: 3 });
    for (const t of ['a', 'b', 'c']) p.get(t).create(cm('ns', 'x'), {});
    expect(openDatabaseFiles(p.dataDir)).toHaveLength(3);
    p.get('a'); // a is now more recent than b
    p.get('d');
    expect(p.openCount()).toBe(3);
    expect(openDatabaseFiles(p.dataDir).sort()).toEqual(['a', 'c', 'd'].map((t) => p.pathOf(t)));
    for (let i = 0; i < 20; i++) p.get(`t${i}`);
    expect(openDatabaseFiles(p.dataDir)).toHaveLength(3);
    expect(p.openCount()).toBe(3);
  });

  it('keeps one store per tenant: an evicted store reopens on use with its rv intact', () => {
    const p = pool({ maxOpen: 1 });
    const a = p.get('a');
    a.create(cm('ns', '1'), {});
    p.get('b');
    expect(a.isOpen).toBe(false);
    expect(a.currentRV()).toBe(1); // answered without reopening
    expect(a.isOpen).toBe(false);
    expect(a.create(cm('ns', '2'), {}).rv).toBe(2);
    expect(p.get('a')).toBe(a);
    expect(p.openCount()).toBe(1);
  });

  it('never closes a store with active watchers', () => {
    const p = pool({ maxOpen: 1 });
    const events: number[] = [];
    const w = p
      .get('watched')
      .watch({ group: '', resource: 'configmaps', fromRV: 0 }, (e) => events.push(e.rv));
    p.get('other');
    expect(p.get('watched').isOpen).toBe(true);
    expect(p.closeIdle(0)).toBe(1); // only 'other'
    expect(p.get('watched').isOpen).toBe(true);
    w.stop();
    expect(p.closeIdle(0)).toBe(1);
    expect(p.openCount()).toBe(0);
  });

  it('closes stores idle for idleCloseMs', () => {
    const p = pool();
    p.get('a');
    p.get('b');
    const now = Date.now();
    expect(p.closeIdle(60_000, now)).toBe(0);
    expect(p.closeIdle(60_000, now + 60_000)).toBe(2);
    expect(p.openCount()).toBe(0);
  });

  it('deletes a tenant: its files go and a new store starts from rv 0', () => {
    const p = pool();
    const s = p.get('gone');
    s.create(cm('ns', 'x'), {});
    let stopped = true;
    s.watch({ group: '', resource: 'configmaps', fromRV: s.currentRV() }, () => (stopped = false));
    p.deleteTenant('gone');
    expect(readdirSync(p.dataDir).filter((f) => f.startsWith('gone'))).toEqual([]);
    expect(() => s.get(cm('ns', 'x'))).toThrow(/deleted/);
    const fresh = p.get('gone');
    expect(fresh).not.toBe(s);
    expect(fresh.currentRV()).toBe(0);
    fresh.create(cm('ns', 'y'), {});
    expect(stopped).toBe(true);
  });

  it('maps any tenant name to a distinct, safe file name', () => {
    const names = ['acme', 'ACME', '../etc/passwd', '', 'a/b', 'x'.repeat(300), 'ünï', '_61', 'con'];
    const files = names.filter((n) => n !== '').map(tenantFileName);
    expect(new Set(files).size).toBe(files.length);
    for (const f of files) {
      expect(f).toMatch(/^[a-z0-9_-]+\.db$/);
      expect(f.length).toBeLessThanOrEqual(255);
    }
    expect(tenantFileName('acme')).toBe('acme.db');
    expect(() => tenantFileName('')).toThrow();
    const p = pool();
    p.get('../evil').create(cm('ns', 'x'), {});
    expect(readdirSync(p.dataDir)).toContain(tenantFileName('../evil'));
  });
});
