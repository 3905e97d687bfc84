// The garbage collector's host half: host objects (Deployments, Secrets...) owned by a tenant's
// VIRTUAL object. The host garbage collector never sees those references (rewrite/virtual-owners.ts
// keeps them in kplex annotations), so when a virtual owner goes kplex applies the apiserver's
// semantics to its host dependents itself: Background deletes every dependent left with no live
// owner (and drops the reference from the others), Orphan drops the reference, Foreground deletes
// them (in the foreground) and holds the owner's `foregroundDeletion` finalizer until those with
// blockOwnerDeletion are gone (looked at one by one, not listed again). Dependents are found
// by the `kplex.io/virtual-owned` label, in the owner's host namespace only (ownerReferences are
// namespace-local; a cluster-scoped owner's dependents may be in any of the tenant's namespaces),
// one labelled list per host-backed resource. Jobs run one at a time per tenant, in order, so an
// orphaning always finishes before the owner's deletion is looked at. A host namespace where a
// pass found no labelled object, and where no write has moved a reference since, is not listed
// again: a tenant without such objects pays one pass per host namespace per process, not one per delete.
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
  /** A foreground owner's host dependents are gone: the garbage collector may release it. */
  released?(uid: string): void;
}

type Mode = 'orphan' | 'delete' | 'foreground';

/** A blocking host dependent a foreground owner waits for. */
interface Blocker {
  path: string;
  uid: string;
}

/** How often, and for how long at most, a foreground owner looks at its blocking host dependents. */
const POLL_MS = [200, 500, 1000, 2000, 5000];
const WAIT_MS = 10 * 60_000;

/** A write marked before a pass may still be on its way to the host: only a pass this much later can call a namespace clean. */
const SETTLE_MS = 60_000;

const SELECTOR = `labelSelector=${encodeURIComponent(`${LABEL_VIRTUAL_OWNED}=true`)}`;

export class HostDependents implements HostDependentsObserver {
  private queue: Promise<void> = Promise.resolve();

  /** Foreground owners (by uid): waiting for their host dependents, or done with them. */
  private readonly foreground = new Map<string, 'waiting' | 'done'>();

  /** Host namespaces known to hold no object with a virtual owner. */
  private readonly clean = new Set<string>();

  /** When a write last moved a virtual owner's reference into each host namespace. */
  private readonly lastWrite = new Map<string, number>();

  constructor(private readonly deps: HostDependentsDeps) {}

  /** The owner is gone (Background, or Foreground without waiting for host dependents). */
  ownerDeleted(obj: KubeObject): void {
    const uid = obj.metadata?.uid ?? '';
    const fg = this.foreground.get(uid);
    this.foreground.delete(uid);
    if (fg !== 'done') this.enqueue(obj, 'delete');
  }

  /** The owner is being deleted with propagationPolicy=Foreground (called again as its dependents go). */
  ownerForeground(obj: KubeObject): void {
    const uid = obj.metadata?.uid;
    if (!uid || this.foreground.has(uid)) return;
    this.foreground.set(uid, 'waiting');
    this.enqueue(obj, 'foreground', (blockers) => void this.awaitBlockers(uid, blockers));
  }

  /** A write is sending an object with a virtual owner to `hostNs` (called before it reaches the host). */
  written(hostNs: string): void {
    this.clean.delete(hostNs);
    this.lastWrite.set(hostNs, Date.now());
  }

  /** Whether the foreground owner `uid` still waits for host dependents. */
  holds(uid: string): boolean {
    return this.foreground.get(uid) === 'waiting';
  }

  /** The owner is being deleted with propagationPolicy=Orphan. */
  ownerOrphaned(obj: KubeObject): void {
    this.enqueue(obj, 'orphan');
  }

  /** Resolves once every job queued so far has run (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue;
  }

  private enqueue(obj: KubeObject, mode: Mode, then?: (blockers: Blocker[]) => void): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    const ns = obj.metadata?.namespace ?? '';
    this.queue = this.queue
      .then(() => this.run(uid, ns, mode))
      .then((blockers) => then?.(blockers))
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

  /** Settles every host dependent of `uid`; returns those a foreground owner must wait for. */
  private async run(uid: string, ns: string, mode: Mode): Promise<Blocker[]> {
    const blockers: Blocker[] = [];
    for (const hostNs of this.deps.hostNamespaces(ns)) {
      if (this.clean.has(hostNs)) continue;
      const started = Date.now();
      let seen = 0;
      let complete = true;
      for (const row of this.resources()) {
        const path = hostPath(row, { namespace: hostNs });
        const res = await this.deps.host.request<{ items?: KubeObject[] }>('GET', `${path}?${SELECTOR}`);
        if (res.status !== 200) {
          complete = false;
          continue;
        }
        for (const item of res.body?.items ?? []) {
          seen++;
          await this.settle(row, hostNs, item, uid, mode, blockers).catch((err: unknown) =>
            this.deps.logger?.warn({ err, tenant: this.deps.tenant, uid, mode }, 'settling a host dependent'),
          );
        }
      }
      if (complete && seen === 0 && started - (this.lastWrite.get(hostNs) ?? 0) > SETTLE_MS)
        this.clean.add(hostNs);
    }
    return blockers;
  }

  /** Waits (bounded) until every blocking dependent is gone, then lets the owner go. */
  private async awaitBlockers(uid: string, blockers: Blocker[]): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    let left = blockers;
    for (let i = 0; left.length > 0; i++) {
      if (Date.now() > deadline) {
        this.deps.logger?.warn(
          { tenant: this.deps.tenant, uid, left: left.length },
          'a foreground owner still waits for host dependents: left with its finalizer',
        );
        this.foreground.delete(uid);
        return;
      }
      await new Promise((r) => setTimeout(r, POLL_MS[Math.min(i, POLL_MS.length - 1)]));
      const still: Blocker[] = [];
      for (const b of left) {
        const r = await this.deps.host.request<KubeObject>('GET', b.path);
        // Gone once 404 or replaced by another object of the name; anything else: look again.
        if (r.status !== 404 && !(r.status === 200 && r.body?.metadata?.uid !== b.uid)) still.push(b);
      }
      left = still;
    }
    if (this.foreground.get(uid) !== 'waiting') return;
    this.foreground.set(uid, 'done');
    this.deps.released?.(uid);
  }

  /** One host dependent of the owner `uid`: deleted, or the reference dropped. */
  private async settle(
    row: ResourceInfo,
    hostNs: string,
    item: KubeObject,
    uid: string,
    mode: Mode,
    blockers: Blocker[],
  ): Promise<void> {
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
    // A dependent of a foreground owner goes in the foreground too, as with the apiserver's GC.
    const r = await this.deps.host.request('DELETE', path, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: mode === 'foreground' ? 'Foreground' : 'Background',
      preconditions: { uid: meta.uid },
    });
    if (r.status >= 300 && r.status !== 404 && r.status !== 409)
      throw new Error(`host DELETE ${row.resource}: ${r.status}`);
    const ref = virtualOwnerRefs(meta).find((e) => e.ref['uid'] === uid)?.ref;
    if (mode === 'foreground' && r.status < 300 && ref?.['blockOwnerDeletion'] === true)
      blockers.push({ path, uid: meta.uid ?? '' });
  }
}
