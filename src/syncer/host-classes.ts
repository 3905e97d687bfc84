// A tenant's PriorityClasses and RuntimeClasses as host classes (names: class-names.ts), so the
// host's Priority and RuntimeClass admission give the tenant's pods, made through kplex or by host
// controllers, the priority, preemption policy, overhead and scheduling of the tenant's class:
// - a PriorityClass's value is capped at the Tenant's policy.maxPriority (a tenant's pods never
//   outrank pods at that value; no tenant value reaches the host's system classes, which are
//   above every user value), and never globalDefault on the host (the tenant's default is its own);
// - a RuntimeClass keeps its handler, overhead and scheduling; only one of a handler the Tenant
//   allows (unset: the handlers of the host's own RuntimeClasses) reaches the host
//   (admission/class-sync.ts refuses pods naming others).
// Applied (server-side apply, kplex's field manager) when the tenant writes the class and again
// before a pod or workload naming it goes to the host, unless this process already applied the
// same object; deleted with the tenant's class and, by label, with the tenant.
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import type { TenantPolicy } from '../limits/tenant-policy.js';
import type { Logger } from '../log/logger.js';
import { type ClassKind, hostClassName } from './class-names.js';

/** The label host namespaces carry too (rewrite/namespace-translator.ts LABEL_TENANT_UID). */
const LABEL_TENANT_UID = 'kplex.io/tenant-uid';
/** The tenant's name of the class, for an operator reading the host. */
const ANNOTATION_CLASS = 'kplex.io/class';

const HANDLERS_TTL_MS = 30_000;

const PATHS: Readonly<Record<ClassKind, string>> = {
  PriorityClass: '/apis/scheduling.k8s.io/v1/priorityclasses',
  RuntimeClass: '/apis/node.k8s.io/v1/runtimeclasses',
};

const API_VERSIONS: Readonly<Record<ClassKind, string>> = {
  PriorityClass: 'scheduling.k8s.io/v1',
  RuntimeClass: 'node.k8s.io/v1',
};

/** The host object of a tenant's class. */
export function hostClass(
  kind: ClassKind,
  tenantUid: string,
  cls: KubeObject,
  policy: TenantPolicy,
): KubeObject {
  const name = cls.metadata?.name ?? '';
  const metadata = {
    name: hostClassName(tenantUid, name),
    labels: { [LABEL_TENANT_UID]: tenantUid, 'app.kubernetes.io/managed-by': 'kplex' },
    annotations: { [ANNOTATION_CLASS]: name },
  };
  const base = { apiVersion: API_VERSIONS[kind], kind, metadata };
  if (kind === 'RuntimeClass') {
    const o: KubeObject = { ...base, handler: cls['handler'] };
    if (cls['overhead'] !== undefined) o['overhead'] = cls['overhead'];
    if (cls['scheduling'] !== undefined) o['scheduling'] = cls['scheduling'];
    return o;
  }
  const value = typeof cls['value'] === 'number' ? cls['value'] : 0;
  return {
    ...base,
    value: Math.min(value, policy.maxPriority),
    preemptionPolicy: cls['preemptionPolicy'] ?? 'PreemptLowerPriority',
    ...(typeof cls['description'] === 'string' ? { description: cls['description'] } : {}),
  };
}

export interface HostClassesDeps {
  host: HostClient;
  tenantUid: string;
  policy: () => TenantPolicy;
  logger: Logger;
}

export class HostClassError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** One tenant's host classes. */
export class HostClasses {
  /** Host name -> the object this process last applied (its JSON): a repeat costs nothing. */
  private readonly applied = new Map<string, string>();
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly deps: HostClassesDeps) {}

  /** The tenant's class as a host class, applied unless already so; throws HostClassError. */
  async ensure(kind: ClassKind, cls: KubeObject): Promise<void> {
    const want = hostClass(kind, this.deps.tenantUid, cls, this.deps.policy());
    const name = want.metadata!.name!;
    const json = JSON.stringify(want);
    for (;;) {
      const running = this.inFlight.get(name);
      if (!running) break;
      await running.catch(() => undefined);
    }
    if (this.applied.get(name) === json) return;
    const p = this.apply(kind, name, want).then(() => void this.applied.set(name, json));
    this.inFlight.set(name, p);
    try {
      await p;
    } finally {
      this.inFlight.delete(name);
    }
  }

  private async apply(kind: ClassKind, name: string, want: KubeObject): Promise<void> {
    const path = `${PATHS[kind]}/${encodeURIComponent(name)}?fieldManager=kplex&force=true`;
    let res = await this.deps.host.request('PATCH', path, want, 'application/apply-patch+yaml');
    // A PriorityClass's value and preemption policy are immutable: a class re-created with other
    // values, or a changed cap, replaces the host class (running pods keep the priority they have).
    if (res.status === 422 && kind === 'PriorityClass') {
      await this.deps.host.request('DELETE', `${PATHS[kind]}/${encodeURIComponent(name)}`);
      res = await this.deps.host.request('PATCH', path, want, 'application/apply-patch+yaml');
    }
    if (res.status >= 300) {
      const message = (res.body as { message?: unknown } | undefined)?.message;
      throw new HostClassError(res.status, `host ${kind} ${name}: ${res.status} ${String(message ?? '')}`);
    }
  }

  /** The handlers of the host's own RuntimeClasses (not tenants'), read at most every 30 s. */
  async hostHandlers(): Promise<readonly string[]> {
    if (this.handlers && Date.now() - this.handlers.at < HANDLERS_TTL_MS) return this.handlers.list;
    const sel = encodeURIComponent(`!${LABEL_TENANT_UID}`);
    const res = await this.deps.host.request<{ items?: KubeObject[] }>(
      'GET',
      `${PATHS.RuntimeClass}?labelSelector=${sel}`,
    );
    if (res.status >= 300) throw new HostClassError(res.status, `listing host RuntimeClasses: ${res.status}`);
    const list = [...new Set((res.body.items ?? []).map((c) => String(c['handler'])))];
    this.handlers = { at: Date.now(), list };
    return list;
  }

  private handlers?: { at: number; list: readonly string[] };

  /** Whether pods may use a RuntimeClass of this handler (admission/class-sync.ts says why not). */
  private async handlerAllowed(cls: KubeObject): Promise<boolean> {
    const allowed = this.deps.policy().allowedRuntimeClasses ?? (await this.hostHandlers());
    return allowed.includes(String(cls['handler']));
  }

  /**
   * The tenant's write of a class (registry afterWrite): applied (a RuntimeClass only with a
   * handler its pods may use), or deleted with it. In the background.
   */
  written(kind: ClassKind, cls: KubeObject, exists: boolean): void {
    const apply = async (): Promise<void> => {
      if (kind === 'PriorityClass' || (await this.handlerAllowed(cls))) await this.ensure(kind, cls);
    };
    const done = exists ? apply() : this.remove(kind, cls.metadata?.name ?? '');
    done.catch((err: unknown) =>
      this.deps.logger.warn(
        { err, kind, name: cls.metadata?.name },
        'syncing a tenant class to the host failed',
      ),
    );
  }

  async remove(kind: ClassKind, name: string): Promise<void> {
    const host = hostClassName(this.deps.tenantUid, name);
    this.applied.delete(host);
    const res = await this.deps.host.request('DELETE', `${PATHS[kind]}/${encodeURIComponent(host)}`);
    if (res.status >= 300 && res.status !== 404)
      throw new HostClassError(res.status, `deleting host ${kind} ${host}: ${res.status}`);
  }
}

/** Every host class of a tenant (by its UID label): a deleted Tenant takes them along. */
export async function removeTenantClasses(host: HostClient, tenantUid: string): Promise<void> {
  const sel = encodeURIComponent(`${LABEL_TENANT_UID}=${tenantUid}`);
  for (const path of Object.values(PATHS)) {
    const res = await host.request('DELETE', `${path}?labelSelector=${sel}`);
    if (res.status >= 300 && res.status !== 404)
      throw new Error(`deleting the tenant's host classes at ${path}: ${res.status}`);
  }
}
