// A garbage collector among a tenant's virtual objects, linked by ownerReferences uid, run
// synchronously after each deletion: Background deletes dependents whose owners are all gone,
// Orphan (`orphan` finalizer) strips the owner's references from dependents, Foreground
// (`foregroundDeletion`) deletes dependents first and releases the owner when none blocks it.
// Owners and dependents are found through the store's uid and ownerReferences indexes, so a
// delete costs what it touches, not the size of the tenant's store.
import type { KubeObject } from '../api/object.js';
import type { ResourceInfo } from '../resources/types.js';
import type { ObjectKey, TenantStore } from '../store/types.js';
import { foregroundFinalizer, orphanFinalizer, deleteObject } from './delete.js';
import { clone } from './object-utils.js';
import type { DeletionObserver, VirtualRegistry } from './registry.js';

const gcUser = {
  username: 'system:serviceaccount:kube-system:generic-garbage-collector',
  groups: ['system:serviceaccounts'],
};

/** The host half (tenancy/host-dependents.ts): host objects owned by a virtual object. */
export interface HostDependentsObserver {
  /** The owner is gone: its host dependents without another live owner are deleted. */
  ownerDeleted(obj: KubeObject): void;
  /** The owner is being deleted with Orphan: its host dependents lose the reference. */
  ownerOrphaned(obj: KubeObject): void;
  /** The owner is being deleted with Foreground: its host dependents go first. */
  ownerForeground(obj: KubeObject): void;
  /** Whether the foreground owner `uid` still waits for blocking host dependents. */
  holds(uid: string): boolean;
}

interface Located {
  reg: VirtualRegistry;
  obj: KubeObject;
}

export class VirtualGarbageCollector implements DeletionObserver {
  /** `registries` lists a registry for every virtual resource of the tenant (wired with this gc). */
  constructor(private readonly registries: () => VirtualRegistry[]) {}

  /** Set when the tenant has a host: dependents there are settled by it. */
  hostDependents?: HostDependentsObserver;

  /** The tenant's store (one object for the runtime's life), remembered so a delete without owners or dependents builds no registries. */
  private storeOf?: TenantStore;

  private store(): TenantStore | undefined {
    return (this.storeOf ??= this.registries()[0]?.store);
  }

  /** The object at `key` with the registry of its resource (none for resources without one). */
  private locate(key: ObjectKey | undefined): Located | undefined {
    if (!key) return undefined;
    const reg = this.registries().find((r) => r.info.group === key.group && r.info.resource === key.resource);
    const s = reg?.store.get(key);
    return reg && s && { reg, obj: s.object };
  }

  /** Objects naming `uid` as an owner: read through the store's owner index, not a scan. */
  private dependentsOf(uid: string): Located[] {
    const out: Located[] = [];
    for (const key of this.store()?.dependentsOf(uid) ?? []) {
      const x = this.locate(key);
      if (x && (x.obj.metadata?.ownerReferences ?? []).some((r) => r.uid === uid)) out.push(x);
    }
    return out;
  }

  private find(uid: string): Located | undefined {
    const x = this.locate(this.store()?.keyOfUid(uid));
    return x && x.obj.metadata?.uid === uid ? x : undefined;
  }

  private exists(uid: string): boolean {
    return this.find(uid) !== undefined;
  }

  private isVirtualKind(ref: { apiVersion?: string; kind?: string }): boolean {
    const v = ref.apiVersion ?? '';
    const group = v.includes('/') ? v.slice(0, v.indexOf('/')) : '';
    return this.registries().some((r) => r.info.group === group && r.info.kind === ref.kind);
  }

  private write(x: Located, mutate: (o: KubeObject) => void): void {
    const o = clone(x.obj);
    mutate(o);
    const m = o.metadata!;
    if (m.ownerReferences?.length === 0) delete m.ownerReferences; // as Go's omitempty writes it
    const key = x.reg.key(m.namespace ?? '', m.name!);
    const current = x.reg.store.get(key);
    if (!current) return;
    if (m.deletionTimestamp && (m.finalizers ?? []).length === 0) {
      const removed = x.reg.store.delete(key, current.rv);
      this.objectDeleted(removed.object, x.reg.info);
    } else {
      x.reg.store.update(key, o, current.rv);
    }
  }

  private deleteDependent(x: Located): void {
    const m = x.obj.metadata!;
    try {
      deleteObject(x.reg, m.namespace ?? '', m.name!, {
        user: gcUser,
        dryRun: false,
        propagationPolicy: 'Background',
        warnings: [],
      });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }

  objectDeleted(obj: KubeObject, _info: ResourceInfo): void {
    const uid = obj.metadata?.uid;
    if (uid) this.hostDependents?.ownerDeleted(obj);
    if (uid) {
      for (const dep of this.dependentsOf(uid)) {
        // An owner of a kind with no virtual registry is host-backed: the host says whether it
        // lives, so it counts as live here (the apiserver's GC keeps a dependent of an owner it
        // cannot look up, too).
        const live = (dep.obj.metadata?.ownerReferences ?? []).filter(
          (r) => r.uid !== uid && (this.exists(r.uid) || !this.isVirtualKind(r)),
        );
        if (live.length === 0) this.deleteDependent(dep);
        else
          this.write(
            dep,
            (o) =>
              (o.metadata!.ownerReferences = (o.metadata!.ownerReferences ?? []).filter(
                (r) => r.uid !== uid,
              )),
          );
      }
    }
    // An owner waiting in the foreground may now be free.
    for (const ref of obj.metadata?.ownerReferences ?? []) {
      const owner = this.find(ref.uid);
      if (owner && (owner.obj.metadata?.finalizers ?? []).includes(foregroundFinalizer))
        this.objectFinalizing(owner.obj, owner.reg.info);
    }
  }

  /**
   * A host-backed owner `uid` was deleted through kplex: its virtual dependents lose the reference
   * with Orphan, and otherwise go when no other owner lives, as the apiserver's collector settles
   * them (Foreground does not wait for them: nothing virtual can hold up a host object's deletion).
   */
  hostOwnerDeleted(uid: string, propagation: string): void {
    for (const dep of this.dependentsOf(uid)) {
      const live = (dep.obj.metadata?.ownerReferences ?? []).filter(
        (r) => r.uid !== uid && (this.exists(r.uid) || !this.isVirtualKind(r)),
      );
      if (propagation !== 'Orphan' && live.length === 0) this.deleteDependent(dep);
      else
        this.write(
          dep,
          (o) =>
            (o.metadata!.ownerReferences = (o.metadata!.ownerReferences ?? []).filter((r) => r.uid !== uid)),
        );
    }
  }

  /** The host half is done with the foreground owner `uid`: it goes once no virtual dependent blocks it. */
  ownerReleased(uid: string): void {
    const owner = this.find(uid);
    if (owner && (owner.obj.metadata?.finalizers ?? []).includes(foregroundFinalizer))
      this.objectFinalizing(owner.obj, owner.reg.info);
  }

  objectFinalizing(obj: KubeObject, _info: ResourceInfo): void {
    const uid = obj.metadata?.uid;
    const finalizers = obj.metadata?.finalizers ?? [];
    if (!uid || !obj.metadata?.deletionTimestamp) return;
    const self = (): Located | undefined => this.find(uid);
    if (finalizers.includes(orphanFinalizer)) {
      this.hostDependents?.ownerOrphaned(obj); // queued before the owner's deletion, which follows
      for (const dep of this.dependentsOf(uid)) {
        this.write(
          dep,
          (o) =>
            (o.metadata!.ownerReferences = (o.metadata!.ownerReferences ?? []).filter((r) => r.uid !== uid)),
        );
      }
      const me = self();
      if (me)
        this.write(
          me,
          (o) =>
            (o.metadata!.finalizers = (o.metadata!.finalizers ?? []).filter((f) => f !== orphanFinalizer)),
        );
      return;
    }
    if (finalizers.includes(foregroundFinalizer)) {
      for (const dep of this.dependentsOf(uid))
        if (!dep.obj.metadata?.deletionTimestamp) this.deleteDependent(dep);
      this.hostDependents?.ownerForeground(obj);
      const blocking =
        this.dependentsOf(uid).some((d) =>
          (d.obj.metadata?.ownerReferences ?? []).some((r) => r.uid === uid && r.blockOwnerDeletion),
        ) || !!this.hostDependents?.holds(uid);
      const me = self();
      if (!blocking && me && (me.obj.metadata?.finalizers ?? []).includes(foregroundFinalizer)) {
        this.write(
          me,
          (o) =>
            (o.metadata!.finalizers = (o.metadata!.finalizers ?? []).filter(
              (f) => f !== foregroundFinalizer,
            )),
        );
      }
    }
  }
}
