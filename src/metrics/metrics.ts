// kplex's Prometheus metrics: one registry per process, with the tenant request metrics, the host
// request metrics, the process's own (memory, CPU, event loop) and gauges read at scrape time.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { observeHostRequests } from './host-metrics.js';
import { RequestMetrics } from './request-metrics.js';
import { TenantTop } from './tenant-top.js';

export interface MetricsOptions {
  /** The host's scheme://host:port: requests to it are timed. */
  hostOrigin?: string;
  /** Export per-tenant request counts for this many busiest tenants (0: no per-tenant series). */
  tenantSeries?: number;
}

/** A gauge whose value is read when scraped. */
export interface GaugeSource {
  name: string;
  help: string;
  read: () => number | Promise<number>;
}

export class KplexMetrics {
  readonly registry = new Registry();
  readonly requests: RequestMetrics;
  readonly tenants?: TenantTop;
  private readonly stopHost?: () => void;

  constructor(opts: MetricsOptions = {}) {
    collectDefaultMetrics({ register: this.registry });
    const n = opts.tenantSeries ?? 0;
    if (n > 0) this.tenants = new TenantTop(this.registry, n);
    this.requests = new RequestMetrics(this.registry, this.tenants);
    if (opts.hostOrigin) this.stopHost = observeHostRequests(this.registry, opts.hostOrigin);
  }

  gauge(src: GaugeSource): void {
    new Gauge({
      name: src.name,
      help: src.help,
      registers: [this.registry],
      async collect() {
        this.set(await src.read());
      },
    });
  }

  /** The text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    this.stopHost?.();
  }
}
