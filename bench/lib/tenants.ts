// Many tenants at once: Tenant objects created on the host, then one request each through kplex
// (which seeds the tenant's store and starts its host namespaces).
import { performance } from 'node:perf_hooks';
import type { Context } from './context.js';
import { pool } from './interleave.js';
import { call } from './api.js';
import { sleep } from './proc.js';

export const tenantName = (i: number): string => `d-${String(i).padStart(5, '0')}`;

export async function ensureServedTenants(ctx: Context, count: number): Promise<void> {
  const names = Array.from({ length: count }, (_, i) => tenantName(i)).filter((n) => !ctx.served.has(n));
  if (!names.length) return;
  const t0 = performance.now();
  let done = 0;
  const step = Math.max(100, Math.round(count / 10));
  await pool(names, 32, async (name) => {
    await ctx.stack.createTenantObject(name);
  });
  ctx.log(
    `  ${names.length} Tenant objects created in ${((performance.now() - t0) / 1000).toFixed(1)} s; serving one request each`,
  );
  await pool(names, 16, async (name) => {
    const t = await ctx.stack.tenant(name);
    const end = Date.now() + 120_000;
    for (;;) {
      const r = await call(t, 'GET', '/api/v1/namespaces/default');
      if (r.status === 200) break;
      if (Date.now() > end) throw new Error(`tenant ${name} not served: ${r.status} ${r.text.slice(0, 200)}`);
      await sleep(20);
    }
    ctx.served.add(name);
    if (++done % step === 0)
      ctx.log(`  ${done}/${names.length} tenants served (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  });
}
