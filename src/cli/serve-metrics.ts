// The gauges `kplex serve` exports besides request metrics: tenants, loaded runtimes and the
// tenant stores (open handles, files and bytes on disk), each read when /metrics is scraped.
import type { KplexMetrics } from '../metrics/metrics.js';
import { dirUsage } from '../metrics/store-bytes.js';
import type { StorePool } from '../store/store-pool.js';
import type { RuntimeCache } from '../tenancy/runtime-cache.js';
import type { TenantDirectory } from '../tenancy/tenant-directory.js';

export function serveGauges(
  metrics: KplexMetrics,
  s: { tenants: TenantDirectory; pool: StorePool; runtimes: RuntimeCache },
): void {
  const usage = dirUsage(s.pool.dataDir);
  metrics.gauge({ name: 'kplex_tenants', help: 'Tenants on the host', read: () => s.tenants.names().length });
  metrics.gauge({
    name: 'kplex_tenant_runtimes_loaded',
    help: 'Tenant runtimes in memory (an LRU: idle tenants are unloaded)',
    read: () => s.runtimes.size(),
  });
  metrics.gauge({
    name: 'kplex_store_open_handles',
    help: 'Tenant SQLite databases open now (bounded: idle ones are closed)',
    read: () => s.pool.openCount(),
  });
  metrics.gauge({
    name: 'kplex_store_files',
    help: 'Tenant database files in the data dir (scanned at most every 15 s)',
    read: async () => (await usage()).files,
  });
  metrics.gauge({
    name: 'kplex_store_bytes',
    help: 'Bytes of the tenant stores on disk, WAL files included (scanned at most every 15 s)',
    read: async () => (await usage()).bytes,
  });
}
