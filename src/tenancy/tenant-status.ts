// The status kplex reports on every host Tenant object: a Ready condition, the tenant's endpoint
// and its usage (virtual objects and their bytes, namespaces, host namespaces, pods). Written
// through the status subresource by one periodic pass, never per request, and only for a tenant
// whose status differs from what the host holds: thousands of idle tenants cost no host write.
// Store usage is read from counters kept in memory by every write (a closed store is not opened);
// host namespaces and pods from the host watches kplex keeps anyway (namespace-objects.ts).
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import type { StoreUsage } from '../limits/store-usage.js';
import type { Logger } from '../log/logger.js';
import { TENANTS_PATH } from './tenant-crd.js';

export interface TenantUsage {
  objects?: number;
  storeBytes?: number;
  namespaces?: number;
  hostNamespaces?: number;
  pods?: number;
}

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

interface TenantStatus {
  endpoint?: string;
  conditions?: Condition[];
  usage?: TenantUsage;
}

export interface TenantStatusDeps {
  host: HostClient;
  logger: Logger;
  /** Every Tenant's name and its object as the directory's watch last saw it. */
  tenants: () => Iterable<string>;
  tenant: (name: string) => KubeObject | undefined;
  /** Whether kplex serves the tenant (a Tenant of a reserved or invalid name is never served). */
  served: (name: string) => boolean;
  /** The tenant's store usage when known without opening anything (tenant-store usageIfOpen). */
  storeUsage: (uid: string) => StoreUsage | undefined;
  /** Host namespaces and pods by Tenant UID, from kplex's host watches. */
  hostUsage: () => Map<string, { hostNamespaces: number; pods?: number }>;
  /** The tenant's URL: `https://<advertised address>/clusters/<name>`, or the path alone. */
  endpoint: (name: string) => string;
  /** At most this many status writes per pass; the rest wait for the next (a start with many new tenants). */
  maxWritesPerPass?: number;
  now?: () => Date;
}

const SERVING = { status: 'True', reason: 'Serving', message: 'kplex serves the tenant at its endpoint' };
const REFUSED = {
  status: 'False',
  reason: 'InvalidName',
  message: 'kplex serves no tenant of a reserved or invalid name (created before the CRD refused it)',
};

/** Whether every field `want` names is equal in `have` (the host may hold more). */
function covers(have: unknown, want: unknown): boolean {
  if (want === undefined) return true;
  if (typeof want !== 'object' || want === null || typeof have !== 'object' || have === null)
    return have === want;
  if (Array.isArray(want))
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => covers(have[i], w));
  return Object.entries(want).every(([k, v]) => covers((have as Record<string, unknown>)[k], v));
}

export class TenantStatusWriter {
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly max: number;
  /** What the last write asked per tenant (JSON): a tenant the watch has not echoed yet is not written twice. */
  private readonly written = new Map<string, string>();

  constructor(private readonly deps: TenantStatusDeps) {
    this.max = deps.maxWritesPerPass ?? 100;
  }

  /** Runs a pass now and then every `intervalMs` (a pass still running makes the next one skip). */
  start(intervalMs: number): void {
    void this.pass();
    this.timer = setInterval(() => void this.pass(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The status a Tenant should have; undefined fields are left as the host has them. */
  desired(name: string, obj: KubeObject, host: Map<string, { hostNamespaces: number; pods?: number }>) {
    const uid = obj.metadata?.uid ?? '';
    const current = (obj as { status?: TenantStatus }).status;
    const ready = current?.conditions?.find((c) => c.type === 'Ready');
    const store = this.deps.storeUsage(uid);
    const onHost = host.get(uid);
    const usage: TenantUsage = {
      ...(store && { objects: store.objects, storeBytes: store.bytes, namespaces: store.namespaces }),
      hostNamespaces: onHost?.hostNamespaces ?? 0,
      ...(onHost?.pods !== undefined && { pods: onHost.pods }),
    };
    const served = this.deps.served(name);
    const condition: Omit<Condition, 'lastTransitionTime'> = {
      type: 'Ready',
      ...(served ? SERVING : REFUSED),
      ...(obj.metadata?.generation !== undefined && { observedGeneration: obj.metadata.generation }),
    };
    const status: TenantStatus = {
      ...(served && { endpoint: this.deps.endpoint(name) }),
      conditions: [
        {
          ...condition,
          // The transition time moves only when the status does (Kubernetes condition convention).
          lastTransitionTime:
            ready?.status === condition.status
              ? ready.lastTransitionTime
              : (this.deps.now?.() ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      ],
      usage,
    };
    return { status, current };
  }

  /** One pass over every tenant: writes the statuses that differ from the host's, at most `max`. */
  async pass(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let writes = 0;
    try {
      const host = this.deps.hostUsage();
      for (const name of this.deps.tenants()) {
        const obj = this.deps.tenant(name);
        if (!obj || obj.metadata?.deletionTimestamp) continue;
        const { status, current } = this.desired(name, obj, host);
        if (covers(current, status)) {
          this.written.delete(name);
          continue;
        }
        const body = JSON.stringify(status);
        if (this.written.get(name) === body) continue;
        if (writes >= this.max) break;
        writes++;
        this.written.set(name, body);
        await this.write(name, obj, status);
      }
    } finally {
      this.running = false;
    }
    return writes;
  }

  private async write(name: string, obj: KubeObject, status: TenantStatus): Promise<void> {
    // A merge patch of status alone, preconditioned on the UID: a re-created tenant of this name is another.
    const res = await this.deps.host
      .request(
        'PATCH',
        `${TENANTS_PATH}/${encodeURIComponent(name)}/status`,
        { metadata: { uid: obj.metadata?.uid }, status },
        'application/merge-patch+json',
      )
      .catch((err: unknown) => ({ status: 0, body: String(err) }));
    if (res.status >= 200 && res.status < 300) return;
    this.written.delete(name);
    // 404/409: the tenant is gone or re-created meanwhile; the directory's watch tells the rest.
    if (res.status !== 404 && res.status !== 409)
      this.deps.logger.warn({ tenant: name, code: res.status }, 'writing the Tenant status failed');
  }
}

/**
 * A tenant's endpoint: under `--external-url` when given, else on kplex's advertised address
 * (KPLEX_ADVERTISE_ADDRESS, else the bind address unless it is a wildcard) and port; the path
 * alone when the address is not known.
 */
export function tenantEndpoint(
  address: string | undefined,
  port: number,
  externalUrl?: string,
): (name: string) => string {
  const known = address && address !== '0.0.0.0' && address !== '::' ? address : undefined;
  const base = externalUrl ?? (known ? `https://${known.includes(':') ? `[${known}]` : known}:${port}` : '');
  return (name) => `${base}/clusters/${name}`;
}
