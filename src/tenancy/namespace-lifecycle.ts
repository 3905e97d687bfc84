// What the namespace controller does for a kube-apiserver, done in-process for a tenant:
// every namespace gets its host namespace; a namespace marked for deletion is emptied (virtual
// objects, then the host namespace and everything in it), then its `kubernetes` finalizer is
// removed and it disappears.
import type { KubeObject } from '../api/object.js';
import type { Logger } from '../log/logger.js';
import { deleteObject } from '../registry/delete.js';
import type { HostNamespaces } from './host-namespaces.js';
import { NAMESPACE_FINALIZER } from './namespace-strategy.js';
import type { VirtualGarbageCollector } from '../registry/garbage-collector.js';
import type { VirtualRegistry } from '../registry/registry.js';
import type { ResourceInfo } from '../resources/types.js';
import type { TenantStore } from '../store/types.js';
import type { TenantIdentity } from '../rewrite/namespace-translator.js';
import { podSecurityLabelsDiffer } from '../limits/pod-security.js';

/** What the lifecycle reads of its tenant's runtime (TenantRuntime; an interface so the two files form no cycle). */
export interface LifecycleRuntime {
  readonly tenant: string;
  readonly identity: TenantIdentity;
  readonly store: TenantStore;
  readonly seeding: boolean;
  readonly gc: VirtualGarbageCollector;
  storageRows(): ResourceInfo[];
  registry(info: ResourceInfo): VirtualRegistry;
  row(group: string, version: string, resource: string): ResourceInfo | undefined;
}

const SYSTEM_USER = {
  username: 'system:serviceaccount:kube-system:namespace-controller',
  groups: ['system:serviceaccounts', 'system:authenticated'],
};

/**
 * Host namespaces made ahead of first use (so the host's controllers give each its default
 * ServiceAccount and root CA, as a tenant expects) are made one at a time per tenant, at most 10 a
 * second: each costs the HOST a namespace and its controllers' work, and a tenant creating
 * namespaces in a burst must not turn that into load every other tenant waits behind. Measured
 * with the security suite's namespace flood (1,000 creates, 32 at a time): victim p99 239 ms
 * unbounded, ~92 ms one at a time, 74 ms with none made ahead. A write that needs one never waits.
 */
const EAGER_HOST_NAMESPACES = 1;
const EAGER_SPACING_MS = 100;

export class NamespaceLifecycle {
  private readonly finalizing = new Set<string>();
  private readonly ensuring = new Map<string, Promise<string>>();
  private readonly eager: string[] = [];
  private eagerRunning = 0;

  constructor(
    private readonly runtime: LifecycleRuntime,
    private readonly hostNamespaces: HostNamespaces | undefined,
    private readonly logger: Logger,
  ) {}

  /** Called after every write of a virtual Namespace. */
  namespaceWritten(obj: KubeObject, old: KubeObject | undefined): void {
    const name = obj.metadata?.name ?? '';
    if (!name) return;
    if (!old && !obj.metadata?.deletionTimestamp && !this.runtime.seeding) {
      this.eager.push(name);
      this.runEager();
    }
    if (obj.metadata?.deletionTimestamp) this.finalize(name);
    else if (old && podSecurityLabelsDiffer(old.metadata?.labels, obj.metadata?.labels))
      this.syncPodSecurity(name);
  }

  /** The tenant relabelled its namespace's Pod Security level: the host namespace follows (never below the floor). */
  private syncPodSecurity(ns: string): void {
    void this.hostNamespaces
      ?.syncPodSecurity(this.runtime.identity, this.runtime.store, ns)
      .catch((err: unknown) =>
        this.logger.warn(
          { err, tenant: this.runtime.tenant, namespace: ns },
          'updating the host namespace Pod Security labels failed; retried on next use',
        ),
      );
  }

  private runEager(): void {
    while (this.eagerRunning < EAGER_HOST_NAMESPACES && this.eager.length > 0) {
      const name = this.eager.shift()!;
      this.eagerRunning++;
      void this.ensureHostNamespace(name)
        .catch((err: unknown) =>
          this.logger.warn(
            { err, tenant: this.runtime.tenant, namespace: name },
            'creating the host namespace failed; retried on first use',
          ),
        )
        .finally(() =>
          setTimeout(() => {
            this.eagerRunning--;
            this.runEager();
          }, EAGER_SPACING_MS).unref(),
        );
    }
  }

  /** The host namespace of a virtual namespace, created on first need (one creation at a time). */
  ensureHostNamespace(ns: string): Promise<string> {
    if (!this.hostNamespaces) return Promise.reject(new Error('no host connection'));
    let p = this.ensuring.get(ns);
    if (!p) {
      p = this.hostNamespaces
        .ensure(this.runtime.identity, this.runtime.store, ns)
        .finally(() => this.ensuring.delete(ns));
      this.ensuring.set(ns, p);
    }
    return p;
  }

  /** Resumes the deletion of namespaces left Terminating (e.g. by a restart). */
  resume(): void {
    const l = this.runtime.store.list({ group: '', resource: 'namespaces' });
    for (const s of l.items) if (s.object.metadata?.deletionTimestamp) this.finalize(s.key.name);
  }

  private finalize(ns: string): void {
    if (this.finalizing.has(ns)) return;
    this.finalizing.add(ns);
    const run = async (attempt: number): Promise<void> => {
      try {
        const done = await this.finalizeOnce(ns);
        if (done) return void this.finalizing.delete(ns);
      } catch (err) {
        this.logger.warn(
          { err, tenant: this.runtime.tenant, namespace: ns },
          'namespace finalization failed; retrying',
        );
      }
      setTimeout(() => void run(attempt + 1), Math.min(200 * 2 ** attempt, 10_000)).unref();
    };
    setImmediate(() => void run(0));
  }

  /** One pass; true when the namespace is gone (or no longer terminating). */
  private async finalizeOnce(ns: string): Promise<boolean> {
    const store = this.runtime.store;
    const key = { group: '', resource: 'namespaces', namespace: '', name: ns };
    if (!store.get(key)?.object.metadata?.deletionTimestamp) return true;

    // 1. Virtual content: delete everything namespaced in it (finalizers may hold some back).
    let remaining = 0;
    for (const info of this.runtime.storageRows()) {
      if (!info.namespaced) continue;
      const reg = this.runtime.registry(info);
      for (const item of store.list({ group: info.group, resource: info.resource, namespace: ns }).items) {
        remaining++;
        if (item.object.metadata?.deletionTimestamp) continue;
        try {
          deleteObject(reg, ns, item.key.name, {
            user: SYSTEM_USER,
            warnings: [],
            dryRun: false,
            propagationPolicy: 'Background',
          });
        } catch (err) {
          if ((err as { code?: number }).code !== 404) throw err;
        }
      }
    }
    if (remaining > 0) {
      const left = this.runtime
        .storageRows()
        .some(
          (i) =>
            i.namespaced &&
            store.list({ group: i.group, resource: i.resource, namespace: ns, limit: 1 }).items.length > 0,
        );
      if (left) return false;
    }

    // 2. The host namespace and everything in it (the host's namespace controller does the work).
    if (this.hostNamespaces) await this.hostNamespaces.remove(this.runtime.identity, store, ns);

    // 3. Drop the `kubernetes` finalizer; with no finalizer left the namespace is gone.
    const live = store.get(key);
    if (!live) return true;
    const spec = (live.object as { spec?: { finalizers?: string[] } }).spec ?? {};
    const finalizers = (spec.finalizers ?? []).filter((f) => f !== NAMESPACE_FINALIZER);
    const metaFinalizers = live.object.metadata?.finalizers ?? [];
    if (finalizers.length === 0 && metaFinalizers.length === 0) {
      store.delete(key, live.rv);
      this.runtime.gc.objectDeleted(live.object, this.runtime.row('', 'v1', 'namespaces')!);
      return true;
    }
    if (finalizers.length !== (spec.finalizers ?? []).length) {
      store.update(key, { ...live.object, spec: { ...spec, finalizers } }, live.rv);
    }
    return false;
  }
}
