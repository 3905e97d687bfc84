// Group commit: with the default durability (FULL), commits do not fsync on the event loop;
// durable() resolves once everything committed before it is on disk, one fsync serving every
// write committed meanwhile.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteTenantStore } from '../../../src/store/sqlite-tenant-store.js';

const key = (name: string) => ({ group: '', resource: 'configmaps', namespace: 'a', name });

describe('group commit', () => {
  it('acknowledges concurrent writes with shared fsyncs, and they are there after a reopen', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kplex-gc-')), 't.db');
    const store = new SqliteTenantStore('t', path);
    const acks: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      store.create(key(`c${i}`), { metadata: { name: `c${i}` } });
      acks.push(store.durable());
    }
    await Promise.all(acks);
    // Nothing committed since: nothing to wait for.
    await store.durable();
    store.destroy();
    const again = new SqliteTenantStore('t', path);
    expect(again.list({ group: '', resource: 'configmaps' }).items).toHaveLength(50);
    again.close();
  });

  it('resolves at once when nothing was written and when group commit is off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kplex-gc-'));
    const a = new SqliteTenantStore('t', join(dir, 'a.db'));
    await a.durable();
    const b = new SqliteTenantStore('t', join(dir, 'b.db'), { groupCommit: false });
    b.create(key('x'), { metadata: { name: 'x' } });
    await b.durable();
    a.close();
    b.close();
  });
});
