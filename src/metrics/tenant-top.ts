// Per-tenant series, bounded: every tenant's request count is kept in memory (one number per
// tenant), and a scrape exports only the N busiest tenants. A tenant that leaves the top N and
// comes back continues its own cumulative count, so rate() over the series stays correct.
import { Counter, type Registry } from 'prom-client';

export class TenantTop {
  private readonly counts = new Map<string, number>();

  constructor(registry: Registry, n: number) {
    const counts = this.counts;
    new Counter({
      name: 'kplex_tenant_requests_total',
      help: `Requests per tenant, exported for the ${n} tenants with the most requests (--metrics-tenant-series)`,
      labelNames: ['tenant'],
      registers: [registry],
      collect() {
        this.reset();
        const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, n);
        for (const [tenant, count] of top) this.inc({ tenant }, count);
      },
    });
  }

  add(tenant: string): void {
    this.counts.set(tenant, (this.counts.get(tenant) ?? 0) + 1);
  }

  /** A deleted tenant's count goes with it. */
  forget(tenant: string): void {
    this.counts.delete(tenant);
  }
}
