// DELETE and DELETECOLLECTION: preconditions, finalizers (deletionTimestamp set and the object
// returned), propagationPolicy via the `orphan` / `foregroundDeletion` finalizers, and the
// Success Status (or the object) once removed, as generic/registry.Store.Delete does.
import type { KubeObject } from '../api/object.js';
import { type Status, conflict, successStatus } from '../api/status.js';
import { list } from './list.js';
import { clone, rfc3339 } from './object-utils.js';
import type { DeleteOptions, ListOptions } from './options.js';
import type { VirtualRegistry } from './registry.js';

export const orphanFinalizer = 'orphan';
export const foregroundFinalizer = 'foregroundDeletion';

export interface DeleteResult {
  /** The object (when kept for finalizers or returnDeletedObject) or a Success Status. */
  body: KubeObject | Status;
  /** True when the object is gone from the store. */
  deleted: boolean;
  /** 200, or 202 when the object remains and orphanDependents=false was asked. */
  code: number;
}

function gcFinalizers(
  current: string[],
  o: DeleteOptions,
  defaultPolicy: 'OrphanDependents' | 'DeleteDependents' | undefined,
): string[] {
  let policy = o.propagationPolicy;
  if (!policy && o.orphanDependents !== undefined) policy = o.orphanDependents ? 'Orphan' : 'Background';
  const rest = current.filter((f) => f !== orphanFinalizer && f !== foregroundFinalizer);
  if (!policy) {
    // Nothing asked: keep what the object has, or the resource's default.
    if (current.includes(orphanFinalizer) || current.includes(foregroundFinalizer)) return current;
    return defaultPolicy === 'OrphanDependents' ? [...current, orphanFinalizer] : current;
  }
  if (policy === 'Orphan') return [...rest, orphanFinalizer];
  if (policy === 'Foreground') return [...rest, foregroundFinalizer];
  return rest;
}

export function deleteObject(
  reg: VirtualRegistry,
  namespace: string,
  name: string,
  o: DeleteOptions,
): DeleteResult {
  const stored = reg.getStored(namespace, name);
  const obj = reg.withTypeMeta(clone(stored.object));
  const meta = (obj.metadata ??= {});
  const pre = o.preconditions;
  if (pre?.uid !== undefined && pre.uid !== meta.uid) {
    throw conflict(
      reg.gr,
      name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid ?? ''}`,
    );
  }
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== meta.resourceVersion) {
    throw conflict(
      reg.gr,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion ?? ''}`,
    );
  }
  const hold = reg.strategy.holdForDeletion;
  if (hold) {
    const wasHeld = !!meta.deletionTimestamp;
    if (hold(obj, rfc3339(reg.now()))) {
      if (wasHeld && reg.strategy.heldMessage) throw conflict(reg.gr, name, reg.strategy.heldMessage);
      if (o.dryRun) return { body: obj, deleted: false, code: 200 };
      const updated = reg.store.update(reg.key(namespace, name), obj, stored.rv);
      reg.strategy.afterWrite?.(
        updated.object,
        stored.object,
        reg.strategyContext({ user: o.user, warnings: o.warnings }),
      );
      return { body: reg.withTypeMeta(clone(updated.object)), deleted: false, code: 200 };
    }
  }
  const finalizers = gcFinalizers(meta.finalizers ?? [], o, reg.strategy.defaultGarbageCollectionPolicy);
  const pendingCode = o.orphanDependents === false && !o.propagationPolicy ? 202 : 200;
  if (finalizers.length > 0) {
    const changed =
      !meta.deletionTimestamp || JSON.stringify(finalizers) !== JSON.stringify(meta.finalizers ?? []);
    meta.finalizers = finalizers;
    if (!meta.deletionTimestamp) {
      meta.deletionTimestamp = rfc3339(reg.now());
      meta.deletionGracePeriodSeconds = 0;
    }
    if (!changed || o.dryRun) return { body: obj, deleted: false, code: pendingCode };
    const updated = reg.store.update(reg.key(namespace, name), obj, stored.rv);
    reg.strategy.afterWrite?.(
      updated.object,
      stored.object,
      reg.strategyContext({ user: o.user, warnings: o.warnings }),
    );
    reg.deps.gc?.objectFinalizing(updated.object, reg.info);
    return { body: reg.withTypeMeta(clone(updated.object)), deleted: false, code: pendingCode };
  }
  if (!o.dryRun) {
    reg.store.delete(reg.key(namespace, name), stored.rv);
    reg.strategy.afterWrite?.(
      obj,
      stored.object,
      reg.strategyContext({ user: o.user, warnings: o.warnings }),
    );
    reg.deps.gc?.objectDeleted(obj, reg.info);
  }
  if (reg.strategy.returnDeletedObject) return { body: obj, deleted: true, code: 200 };
  return {
    body: successStatus({
      name: meta.name,
      group: reg.info.group || undefined,
      kind: reg.info.resource,
      uid: meta.uid,
    }),
    deleted: true,
    code: 200,
  };
}

/** DELETE on the collection: every selected object is deleted; the answer lists what was. */
export function deleteCollection(
  reg: VirtualRegistry,
  namespace: string,
  lo: ListOptions,
  o: DeleteOptions,
): KubeObject {
  const selected = list(reg, namespace, { ...lo, limit: undefined, continue: undefined });
  const items: KubeObject[] = [];
  for (const item of selected.items) {
    try {
      const r = deleteObject(reg, item.metadata?.namespace ?? '', item.metadata!.name!, o);
      items.push(r.deleted ? item : (r.body as KubeObject));
    } catch (err) {
      // Deleted concurrently: the apiserver ignores NotFound here.
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
  return {
    apiVersion: reg.apiVersion,
    kind: reg.info.listKind,
    metadata: { resourceVersion: String(reg.store.currentRV()) },
    items,
  };
}
