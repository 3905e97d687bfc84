// The garbage collector's host half: host objects (Deployments, Secrets...) owned by a tenant's
// VIRTUAL object. The host garbage collector never sees those references (rewrite/virtual-owners.ts
// keeps them in kplex annotations), so when a virtual owner goes kplex applies the apiserver's
// semantics to its host dependents itself: Background deletes every dependent left with no live
// owner (and drops the reference from the others), Orphan drops the reference. Dependents are found
// by the `kplex.io/virtual-owned` label, in the owner's host namespace only (ownerReferences are
// namespace-local; a cluster-scoped owner's dependents may be in any of the tenant's namespaces),
// one labelled list per host-backed resource. Jobs run one at a time per tenant, in order, so an
// orphaning always finishes before the owner's deletion is looked at.
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import { hostPath } from '../hostapi/host-request.js';
import type { Logger } from '../log/logger.js';
import type { HostDependentsObserver } from '../registry/garbage-collector.js';
import type { ResourceInfo } from '../resources/types.js';
import { LABEL_VIRTUAL_OWNED, dropVirtualOwnerPatch, virtualOwnerRefs } from '../rewrite/virtual-owners.js';

export interface HostDependentsDeps {
  tenant: string;
  host: HostClient;
  logger?: Logger;
  /** The tenant's resource table. */
  rows(): Iterable<ResourceInfo>;
  /** The host namespaces an owner in virtual namespace `ns` ('' = cluster-scoped) can have dependents in. */
  hostNamespaces(ns: string): string[];
  /** Whether a virtual object of this uid exists (another owner of a dependent keeps it alive). */
  virtualExists(uid: string): boolean;
}

type Mode = 'orphan' | 'delete';

const SELECTOR = `labelSelector=${encodeURIComponent(`${LABEL_VIRTUAL_OWNED}=true`)}`;

export class HostDependents implements HostDependentsObserver {
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: HostDependentsDeps) {}

  /** The owner is gone (Background, or Foreground without waiting for host dependents). */
  ownerDeleted(obj: KubeObject): void {
    this.enqueue(obj, 'delete');
  }

  /** The owner is being deleted with propagationPolicy=Orphan. */
  ownerOrphaned(obj: KubeObject): void {
    this.enqueue(obj, 'orphan');
  }

  /** Resolves once every job queued so far has run (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue;
  }

  private enqueue(obj: KubeObject, mode: Mode): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    const ns = obj.metadata?.namespace ?? '';
    this.queue = this.queue
      .then(() => this.run(uid, ns, mode))
      .catch((err: unknown) =>
        this.deps.logger?.warn(
          { err, tenant: this.deps.tenant, uid, mode },
          'host dependents of a virtual owner',
        ),
      );
  }

  /** One row per host-backed namespaced resource that can be listed, patched and deleted. */
  private resources(): ResourceInfo[] {
    const seen = new Map<string, ResourceInfo>();
    for (const r of this.deps.rows()) {
      const gr = `${r.group}/${r.resource}`;
      if (r.placement !== 'host' || !r.namespaced || seen.has(gr)) continue;
      if (['list', 'patch', 'delete'].every((v) => r.verbs.includes(v))) seen.set(gr, r);
    }
    return [...seen.values()];
  }

  private async run(uid: string, ns: string, mode: Mode): Promise<void> {
    const namespaces = this.deps.hostNamespaces(ns);
    if (namespaces.length === 0) return;
    for (const row of this.resources())
      for (const hostNs of namespaces) {
        const path = hostPath(row, { namespace: hostNs });
        const res = await this.deps.host.request<{ items?: KubeObject[] }>('GET', `${path}?${SELECTOR}`);
        if (res.status !== 200) continue;
        for (const item of res.body?.items ?? [])
          await this.settle(row, hostNs, item, uid, mode).catch((err: unknown) =>
            this.deps.logger?.warn({ err, tenant: this.deps.tenant, uid, mode }, 'settling a host dependent'),
          );
      }
  }

  /** One host dependent of the owner `uid`: deleted, or the reference dropped. */
  private async settle(row: ResourceInfo, hostNs: string, item: KubeObject, uid: string, mode: Mode) {
    const meta = item.metadata ?? {};
    const patch = dropVirtualOwnerPatch(meta, uid);
    if (!patch) return;
    const path = hostPath(row, { namespace: hostNs, name: meta.name });
    const othersLive =
      (meta.ownerReferences ?? []).length > 0 ||
      virtualOwnerRefs(meta).some(
        (e) => e.ref['uid'] !== uid && this.deps.virtualExists(String(e.ref['uid'])),
      );
    if (mode === 'orphan' || othersLive) {
      const r = await this.deps.host.request('PATCH', path, patch, 'application/merge-patch+json');
      if (r.status >= 300 && r.status !== 404) throw new Error(`host PATCH ${row.resource}: ${r.status}`);
      return;
    }
    const r = await this.deps.host.request('DELETE', path, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
      preconditions: { uid: meta.uid },
    });
    if (r.status >= 300 && r.status !== 404 && r.status !== 409)
      throw new Error(`host DELETE ${row.resource}: ${r.status}`);
  }
}
