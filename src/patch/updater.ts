// Ownership bookkeeping of structured-merge-diff/v4/merge.Updater: who owns which fields after an
// update or an apply, conflicts, and pruning of fields an applier stopped applying. Objects are
// compared in one version (kplex serves one schema per resource; conversion between versions of
// a manager's set is the identity).
import { isDeepStrictEqual } from 'node:util';
import { FieldSet, type Path } from './fieldpath.js';
import { type JsonValue } from './json-value.js';
import type { Atom } from './smd-schema.js';
import {
  compare,
  ensureNamedFieldsAreMembers,
  merge,
  removeItems,
  toFieldSet,
  type Comparison,
} from './typed.js';

export interface VersionedSet {
  set: FieldSet;
  apiVersion: string;
  applied: boolean;
}

/** Manager identifier (BuildManagerIdentifier) -> owned fields. */
export type ManagedFields = Map<string, VersionedSet>;

export interface Conflict {
  manager: string;
  path: Path;
}

export class ConflictsError extends Error {
  constructor(readonly conflicts: Conflict[]) {
    super('conflicts');
  }
}

export interface UpdaterOptions {
  atom: Atom;
  /** Fields reset by the strategy (status on the main resource, ...): never owned, never conflict. */
  ignore?: FieldSet;
}

function filter(set: FieldSet, ignore: FieldSet | undefined): FieldSet {
  return ignore ? set.recursiveDifference(ignore) : set;
}

function update(
  oldObj: JsonValue,
  newObj: JsonValue,
  managers: ManagedFields,
  workflow: string,
  force: boolean,
  o: UpdaterOptions,
): Comparison {
  const raw = compare(oldObj, newObj, o.atom);
  const cmp: Comparison = {
    removed: filter(raw.removed, o.ignore),
    modified: filter(raw.modified, o.ignore),
    added: filter(raw.added, o.ignore),
  };
  const changed = cmp.modified.union(cmp.added);
  const conflicts = new Map<string, FieldSet>();
  for (const [manager, vs] of managers) {
    if (manager === workflow) continue;
    const c = vs.set.intersection(changed);
    if (!c.empty()) conflicts.set(manager, c);
  }
  if (!force && conflicts.size > 0) {
    const list: Conflict[] = [];
    for (const manager of [...conflicts.keys()].sort()) {
      conflicts.get(manager)!.iterate((path) => list.push({ manager, path }));
    }
    throw new ConflictsError(list);
  }
  for (const [manager, c] of conflicts) {
    const vs = managers.get(manager)!;
    managers.set(manager, { ...vs, set: vs.set.difference(c) });
  }
  if (!cmp.removed.empty()) {
    for (const [manager, vs] of managers) {
      if (manager === workflow) continue;
      managers.set(manager, { ...vs, set: vs.set.difference(cmp.removed) });
    }
  }
  for (const [manager, vs] of [...managers]) if (vs.set.empty()) managers.delete(manager);
  return cmp;
}

/** Updater.Update: the manager takes the fields the write added or changed. */
export function updaterUpdate(
  liveObj: JsonValue,
  newObj: JsonValue,
  apiVersion: string,
  managers: ManagedFields,
  manager: string,
  o: UpdaterOptions,
): void {
  const cmp = update(liveObj, newObj, managers, manager, true, o);
  const prev = managers.get(manager)?.set ?? new FieldSet();
  const set = filter(prev.difference(cmp.removed).union(cmp.modified).union(cmp.added), o.ignore);
  if (set.empty()) managers.delete(manager);
  else managers.set(manager, { set, apiVersion, applied: false });
}

/**
 * Updater.Apply: merges the config into the live object, records the applier's set, prunes what it
 * stopped applying and checks conflicts. Returns undefined when the object does not change.
 */
export function updaterApply(
  liveObj: JsonValue,
  config: JsonValue,
  apiVersion: string,
  managers: ManagedFields,
  manager: string,
  force: boolean,
  o: UpdaterOptions,
): JsonValue | undefined {
  let newObj: JsonValue = merge(liveObj, config, o.atom) ?? null;
  const lastSet = managers.get(manager);
  managers.set(manager, { set: filter(toFieldSet(config, o.atom), o.ignore), apiVersion, applied: true });
  newObj = prune(newObj, managers, lastSet, o.atom);
  update(liveObj, newObj, managers, manager, force, o);
  return isDeepStrictEqual(liveObj, newObj) ? undefined : newObj;
}

/** Removes what the applier applied last time, did not apply now, and nobody else owns. */
function prune(
  merged: JsonValue,
  managers: ManagedFields,
  lastSet: VersionedSet | undefined,
  atom: Atom,
): JsonValue {
  if (!lastSet || lastSet.set.empty()) return merged;
  const ensure = (s: FieldSet) => ensureNamedFieldsAreMembers(s, atom);
  const last = ensure(lastSet.set);
  let pruned = removeItems(merged, last, atom);

  // addBackOwnedItems: keep everything some manager (the applier's new set included) owns.
  let owned = new FieldSet();
  for (const vs of managers.values()) owned = owned.union(vs.set);
  const mergedSet = ensure(toFieldSet(merged, atom));
  pruned = removeItems(
    merged,
    mergedSet.difference(ensure(toFieldSet(pruned, atom)).union(ensure(owned))),
    atom,
  );

  // addBackDanglingItems: only remove what the applier previously owned.
  const prunedSet = ensure(toFieldSet(pruned, atom));
  return removeItems(merged, mergedSet.difference(prunedSet).intersection(last), atom);
}
