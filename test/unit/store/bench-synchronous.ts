// Not a test: measures create/get/update throughput of a tenant store with synchronous=FULL vs
// NORMAL, one write per transaction (each an acknowledged write).
// Run: node --import tsx test/unit/store/bench-synchronous.ts [writes=3000] [dir=os.tmpdir()]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteTenantStore } from '../../../src/store/sqlite-tenant-store.js';

const n = Number(process.argv[2] ?? 3000);
const base = process.argv[3] ?? tmpdir();

function rate(ops: number, start: bigint): string {
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return `${Math.round((ops / ms) * 1000)}/s (${(ms / ops).toFixed(3)} ms/op)`;
}

for (const mode of ['FULL', 'NORMAL'] as const) {
  const dir = mkdtempSync(join(base, 'kplex-bench-'));
  const s = new SqliteTenantStore('bench', join(dir, 'bench.db'), { synchronous: mode });
  const key = (i: number) => ({
    group: '',
    resource: 'configmaps',
    namespace: `ns${i % 10}`,
    name: `cm-${i}`,
  });
  const body = (i: number) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `cm-${i}`, namespace: `ns${i % 10}`, labels: { app: 'bench', i: String(i) } },
    data: { payload: 'x'.repeat(512) },
  });
  let t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) s.create(key(i), body(i));
  const create = rate(n, t);
  t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) s.update(key(i), body(i));
  const update = rate(n, t);
  t = process.hrtime.bigint();
  for (let r = 0; r < 5; r++) for (let i = 0; i < n; i++) s.get(key(i));
  const get = rate(5 * n, t);
  t = process.hrtime.bigint();
  s.transaction(() => {
    for (let i = n; i < 2 * n; i++) s.create(key(i), body(i));
  });
  const batched = rate(n, t);
  console.log(
    `synchronous=${mode}: create ${create}; update ${update}; get ${get}; create x${n} in one tx ${batched}`,
  );
  s.close();
  rmSync(dir, { recursive: true, force: true });
}
