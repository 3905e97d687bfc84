// Tenant requests: counted and timed when their response closes, by verb, resource, code and
// placement (host: a host-backed row served through the host; virtual: everything kplex answers
// itself, the virtual store, discovery and refusals before routing). Requests in flight are
// counted at scrape time from the set of open ones, so no gauge can drift.
import type { ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RequestInfo } from '../api/request-info.js';
import { isLongRunning } from '../limits/fairness.js';
import { LabelBudget } from './label-budget.js';
import type { TenantTop } from './tenant-top.js';

/** What the metrics read of a request (the pipeline's RequestContext, read when it closes). */
export interface ObservedRequest {
  readonly tenant: { readonly name: string };
  readonly info?: RequestInfo;
  readonly hostBacked: boolean;
  /** The resource is a row of the tenant's table (not a path naming something that does not exist). */
  readonly routed?: boolean;
}

/** Tenant requests are answered in milliseconds to a minute (apiserver's request buckets, trimmed). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.5, 2, 4, 10, 30, 60];
/** Distinct resource label values (tenant CRDs and 404 paths beyond it share `other`). */
const MAX_RESOURCES = 500;

/** `deployments.apps`, `pods/log`; the path for a non-resource request is not a label (`''`). */
function resourceLabel(info: RequestInfo | undefined): string {
  if (!info?.isResourceRequest) return '';
  const g = info.apiGroup ? `.${info.apiGroup}` : '';
  return `${info.resource}${g}${info.subresource ? `/${info.subresource}` : ''}`;
}

export class RequestMetrics {
  private readonly open = new Set<() => ObservedRequest | undefined>();
  private readonly resources = new LabelBudget(MAX_RESOURCES);
  private readonly total: Counter<'verb' | 'resource' | 'code' | 'placement'>;
  private readonly duration: Histogram<'verb' | 'resource' | 'code' | 'placement'>;

  constructor(
    registry: Registry,
    private readonly tenants?: TenantTop,
  ) {
    const labelNames = ['verb', 'resource', 'code', 'placement'] as const;
    this.total = new Counter({
      name: 'kplex_requests_total',
      help: 'Tenant requests by verb, resource (resource.group/subresource), HTTP code and placement (virtual or host)',
      labelNames,
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'kplex_request_duration_seconds',
      help: 'Tenant request latency, arrival to response end; long-running requests (watch, exec, logs, port-forward) are not timed',
      labelNames,
      buckets: BUCKETS,
      registers: [registry],
    });
    const open = this.open;
    new Gauge({
      name: 'kplex_requests_in_flight',
      help: 'Tenant requests being served now, by verb (watches and other long-running requests included)',
      labelNames: ['verb'],
      registers: [registry],
      collect() {
        this.reset();
        for (const get of open) this.inc({ verb: get()?.info?.verb ?? '' });
      },
    });
    new Gauge({
      name: 'kplex_watches_open',
      help: 'Tenant watch requests open now',
      registers: [registry],
      collect() {
        let n = 0;
        for (const get of open) if (get()?.info?.verb === 'watch') n++;
        this.set(n);
      },
    });
  }

  /** Only resources of the tenant's table earn a label value of their own (a path can name anything). */
  private resourceOf(r: ObservedRequest | undefined): string {
    const label = resourceLabel(r?.info);
    return label && this.resources.label(label, r?.routed === true);
  }

  /** Starts the clock for a request; `request` gives what is known of it when it closes. */
  track(res: ServerResponse, request: () => ObservedRequest | undefined): void {
    const t0 = performance.now();
    const end = this.start(request);
    res.once('close', () => end(res.statusCode, performance.now() - t0));
  }

  /**
   * Counts a request in flight; the returned function counts and times it when its response has
   * closed (the pipeline calls it from its one 'close' listener, shared with the request log).
   */
  start(request: () => ObservedRequest | undefined): (code: number, ms: number) => void {
    this.open.add(request);
    return (code, ms) => {
      this.open.delete(request);
      const r = request();
      const labels = {
        verb: r?.info?.verb ?? '',
        resource: this.resourceOf(r),
        code: String(code),
        placement: r?.hostBacked ? 'host' : 'virtual',
      };
      this.total.inc(labels);
      if (!r?.info || !isLongRunning(r.info)) this.duration.observe(labels, ms / 1000);
      if (r) this.tenants?.add(r.tenant.name);
    };
  }
}
