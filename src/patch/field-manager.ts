// The apiserver's field manager (k8s.io/apimachinery/pkg/util/managedfields/internal, wired as
// NewDefaultFieldManager): version check, kubectl last-applied handling, "before-first-apply",
// cap of update managers, manager identifiers, timestamps, stripping of metadata fields, and the
// structured merge underneath.
import { badRequest } from '../api/status.js';
import type { KubeObject } from '../api/object.js';
import { applyConflict, unknownServerError } from './errors.js';
import { FieldSet, pathToString, type Path } from './fieldpath.js';
import { deepClone, goJSON, isMap, type JsonMap, type JsonValue } from './json-value.js';
import {
  decodeManagedFields,
  emptyManaged,
  encodeManagedFields,
  isResetManagedFields,
  managerIdentifier,
  metav1Time,
  printManager,
  type Managed,
} from './managed-fields.js';
import { withObjectMeta } from './object-meta-schema.js';
import { atomOf } from './smd-schema.js';
import { MergeError, compare, toFieldSet, validate } from './typed.js';
import type { SchemaNode } from './types.js';
import {
  ConflictsError,
  updaterApply,
  updaterUpdate,
  type Conflict,
  type UpdaterOptions,
} from './updater.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
const MAX_UPDATE_MANAGERS = 10; // DefaultMaxUpdateManagers
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** Fields stripMetaManager keeps out of every manager's set. */
const stripSet = FieldSet.of(
  [{ field: 'apiVersion' }],
  [{ field: 'kind' }],
  [{ field: 'metadata' }],
  ...[
    'name',
    'namespace',
    'creationTimestamp',
    'selfLink',
    'uid',
    'clusterName',
    'generation',
    'managedFields',
    'resourceVersion',
  ].map((f): Path => [{ field: 'metadata' }, { field: f }]),
);

export interface FieldManagerOptions {
  manager: string;
  subresource?: string;
  schema?: SchemaNode;
  now: string;
  /** Field paths (by field names) the strategy resets, e.g. [['status']] on the main resource. */
  resetFields?: string[][];
}

export interface ApplyOptions extends FieldManagerOptions {
  force: boolean;
}

export interface UpdateOptions extends FieldManagerOptions {
  operation: 'Update';
}

interface Ctx {
  apiVersion: string;
  subresource: string;
  now: string;
  o: UpdaterOptions;
}

function context(obj: KubeObject, opts: FieldManagerOptions): Ctx {
  const ignore = opts.resetFields?.length
    ? FieldSet.of(...opts.resetFields.map((p) => p.map((field) => ({ field }))))
    : undefined;
  return {
    apiVersion: obj.apiVersion ?? '',
    subresource: opts.subresource ?? '',
    now: metav1Time(opts.now),
    o: { atom: atomOf(withObjectMeta(opts.schema)), ignore },
  };
}

function withoutManagedFields(obj: KubeObject): JsonMap {
  const copy = deepClone(obj) as JsonMap;
  if (isMap(copy.metadata)) delete copy.metadata.managedFields;
  return copy;
}

function setManagedFields(obj: KubeObject, managed: Managed): void {
  const encoded = encodeManagedFields(managed);
  if (encoded) (obj.metadata ??= {}).managedFields = encoded;
  else if (obj.metadata) delete obj.metadata.managedFields;
}

function buildManagerInfo(manager: string, operation: 'Apply' | 'Update', ctx: Ctx): string {
  return managerIdentifier({
    manager: manager || 'unknown',
    operation,
    apiVersion: ctx.apiVersion,
    subresource: ctx.subresource,
  });
}

function stripFields(managed: Managed, id: string): void {
  const vs = managed.fields.get(id);
  if (!vs) return;
  const set = vs.set.difference(stripSet);
  if (set.empty()) managed.fields.delete(id);
  else managed.fields.set(id, { ...vs, set });
}

/** buildManagerInfo -> managedFieldsUpdater -> stripMeta -> structured Update. */
function recordUpdate(live: JsonMap, updated: JsonMap, managed: Managed, manager: string, ctx: Ctx): void {
  const id = buildManagerInfo(manager, 'Update', ctx);
  const self = 'current-operation';
  updaterUpdate(live, updated, ctx.apiVersion, managed.fields, self, ctx.o);
  stripFields(managed, self);
  const vs = managed.fields.get(self);
  if (vs) {
    managed.fields.delete(self);
    const prev = managed.fields.get(id);
    managed.fields.set(id, {
      set: prev ? vs.set.union(prev.set) : vs.set,
      apiVersion: vs.apiVersion,
      applied: false,
    });
    managed.times.set(id, ctx.now);
  }
  capUpdateManagers(managed);
}

/** capManagersManager: merge the oldest update entries into "ancient-changes" buckets. */
function capUpdateManagers(managed: Managed): void {
  const updaters = [...managed.fields].filter(([, vs]) => !vs.applied).map(([id]) => id);
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  const secs = (id: string) => {
    const t = managed.times.get(id);
    return t ? Math.floor(Date.parse(t) / 1000) : 0;
  };
  updaters.sort((a, b) => secs(a) - secs(b) || (a < b ? -1 : a > b ? 1 : 0));
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > MAX_UPDATE_MANAGERS; i++) {
    const id = updaters[i]!;
    const vs = managed.fields.get(id)!;
    const time = managed.times.get(id);
    const bucket = managerIdentifier({
      manager: 'ancient-changes',
      operation: 'Update',
      apiVersion: vs.apiVersion,
    });
    const first = firstOfVersion.get(vs.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(vs.apiVersion, id);
      continue;
    }
    if (!managed.fields.has(bucket)) {
      managed.fields.set(bucket, managed.fields.get(first)!);
      managed.fields.delete(first);
    }
    managed.fields.set(bucket, {
      set: vs.set.union(managed.fields.get(bucket)!.set),
      apiVersion: vs.apiVersion,
      applied: false,
    });
    managed.fields.delete(id);
    length--;
    managed.times.set(bucket, time);
  }
}

/**
 * Records ownership for a create, update or non-apply patch in updated.metadata.managedFields
 * (FieldManager.UpdateNoErrors). `old` is undefined for a create.
 */
export function updateManagedFields(
  old: KubeObject | undefined,
  updated: KubeObject,
  opts: UpdateOptions,
): void {
  const ctx = context(updated, opts);
  const live: KubeObject = old ?? {};
  let managed: Managed;
  const liveManaged = () => {
    try {
      return decodeManagedFields(live.metadata?.managedFields);
    } catch {
      return emptyManaged();
    }
  };
  if (ctx.subresource) managed = liveManaged();
  else if (isResetManagedFields(updated.metadata?.managedFields)) managed = emptyManaged();
  else {
    try {
      managed = decodeManagedFields(updated.metadata?.managedFields);
      if (managed.fields.size === 0) managed = liveManaged();
    } catch {
      managed = liveManaged();
    }
  }
  if (updated.metadata) delete updated.metadata.managedFields;

  // skipNonApplied: objects created without tracking are not tracked until their first apply.
  if (managed.fields.size === 0 && live.metadata?.uid) {
    setManagedFields(updated, managed);
    return;
  }
  try {
    recordUpdate(withoutManagedFields(live), withoutManagedFields(updated), managed, opts.manager, ctx);
  } catch {
    // UpdateNoErrors: on failure the object is written without managedFields.
    if (updated.metadata) delete updated.metadata.managedFields;
    return;
  }
  setManagedFields(updated, managed);
}

function gvkString(obj: KubeObject): string {
  const av = obj.apiVersion ?? '';
  const i = av.indexOf('/');
  const [group, version] = i < 0 ? ['', av] : [av.slice(0, i), av.slice(i + 1)];
  return `${group}/${version}, Kind=${obj.kind ?? ''}`;
}

function objectGVKNN(obj: KubeObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}; ${gvkString(obj)}`;
}

/** Server-side apply of `applied` onto `live` (undefined when the object does not exist yet). */
export function serverSideApply(
  live: KubeObject | undefined,
  applied: KubeObject,
  opts: ApplyOptions,
): KubeObject {
  const liveObj: KubeObject = live ?? { apiVersion: applied.apiVersion, kind: applied.kind };
  const ctx = context(liveObj, opts);
  if (live && (applied.apiVersion !== live.apiVersion || applied.kind !== live.kind)) {
    throw badRequest(`invalid object type: ${gvkString(applied)}`);
  }
  let managed: Managed;
  try {
    managed = decodeManagedFields(liveObj.metadata?.managedFields);
  } catch (err) {
    throw unknownServerError(`failed to decode managed fields: ${(err as Error).message}`);
  }

  let result: KubeObject;
  try {
    result = applyAllowingLastApplied(liveObj, applied, managed, opts, ctx);
  } catch (err) {
    if (err instanceof ConflictsError) throw conflictError(err.conflicts);
    if (err instanceof MergeError) throw unknownServerError(`failed to merge config: ${err.message}`);
    throw err;
  }
  if (opts.manager === 'kubectl' && hasLastApplied(result)) setLastApplied(result, buildLastApplied(applied));
  return result;
}

/** lastAppliedManager: for kubectl, conflicts on fields it set by client-side apply are forced. */
function applyAllowingLastApplied(
  live: KubeObject,
  applied: KubeObject,
  managed: Managed,
  opts: ApplyOptions,
  ctx: Ctx,
): KubeObject {
  const attempt = (force: boolean) =>
    applyManaged(live, applied, cloneManaged(managed), opts.manager, force, ctx);
  try {
    return attempt(opts.force);
  } catch (err) {
    if (opts.manager !== 'kubectl' || !(err instanceof ConflictsError)) throw err;
    const allowed = allowedConflictsFromLastApplied(live, ctx);
    if (!allowed) throw err;
    const remaining = err.conflicts.filter((c) => !allowed.has(c.path));
    if (remaining.length > 0) throw new ConflictsError(remaining);
    return attempt(true);
  }
}

function cloneManaged(m: Managed): Managed {
  return { fields: new Map(m.fields), times: new Map(m.times) };
}

function allowedConflictsFromLastApplied(live: KubeObject, ctx: Ctx): FieldSet | undefined {
  const raw = live.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (!raw) return undefined;
  let last: unknown;
  try {
    last = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isMap(last) || last.apiVersion !== ctx.apiVersion) return undefined;
  if (validate(last, ctx.o.atom) !== undefined) return undefined;
  const liveV = live as JsonMap;
  if (validate(liveV, ctx.o.atom) !== undefined) return undefined;
  const set = toFieldSet(last, ctx.o.atom);
  const cmp = compare(last, liveV, ctx.o.atom);
  return set.difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
}

/** skipNonApplied -> buildManagerInfo -> managedFieldsUpdater -> stripMeta -> structured Apply. */
function applyManaged(
  live: KubeObject,
  applied: KubeObject,
  managed: Managed,
  manager: string,
  force: boolean,
  ctx: Ctx,
): KubeObject {
  const liveV = withoutManagedFields(live);
  if (managed.fields.size === 0) {
    // Whatever exists before the first apply belongs to "before-first-apply".
    recordUpdate({}, liveV, managed, 'before-first-apply', ctx);
  }
  const id = buildManagerInfo(manager, 'Apply', ctx);

  if (applied.apiVersion !== ctx.apiVersion) {
    throw badRequest(
      `Incorrect version specified in apply patch. Specified patch version: ${applied.apiVersion ?? ''}, expected: ${ctx.apiVersion}`,
    );
  }
  if (applied.metadata?.managedFields !== undefined) throw badRequest('metadata.managedFields must be nil');
  const config = deepClone(applied) as JsonMap; // the result must not share structure with the request
  const invalid = validate(config, ctx.o.atom);
  if (invalid !== undefined)
    throw unknownServerError(`failed to create typed patch object (${objectGVKNN(applied)}): ${invalid}`);

  const out = updaterApply(liveV, config, ctx.apiVersion, managed.fields, id, force, ctx.o);
  stripFields(managed, id);
  let result: KubeObject;
  if (out !== undefined) {
    managed.times.set(id, ctx.now);
    result = out as KubeObject;
  } else {
    result = liveV as KubeObject;
  }
  setManagedFields(result, managed);
  return result;
}

function conflictError(conflicts: Conflict[]) {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.manager)}`,
    field: pathToString(c.path),
  }));
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    return applyConflict(
      causes,
      `Apply failed with 1 conflict: conflict with ${printManager(c.manager)}: ${pathToString(c.path)}`,
    );
  }
  const byManager = new Map<string, Path[]>();
  for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.path]);
  const lines: string[] = [];
  for (const m of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${printManager(m)}:`);
    for (const p of byManager.get(m)!) lines.push(`- ${pathToString(p)}`);
  }
  return applyConflict(causes, `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`);
}

function hasLastApplied(obj: KubeObject): boolean {
  return !!obj.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
}

/** The applied config without the annotation, as unstructured JSON encoding writes it. */
function buildLastApplied(applied: KubeObject): string {
  const copy = deepClone(applied) as JsonMap;
  const meta = copy.metadata;
  if (isMap(meta) && isMap(meta.annotations)) delete meta.annotations[LAST_APPLIED_ANNOTATION];
  return goJSON(copy as JsonValue) + '\n';
}

function setLastApplied(obj: KubeObject, value: string): void {
  const annotations = { ...(obj.metadata?.annotations ?? {}) };
  annotations[LAST_APPLIED_ANNOTATION] = value;
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) size += Buffer.byteLength(k) + Buffer.byteLength(v);
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) delete annotations[LAST_APPLIED_ANNOTATION];
  (obj.metadata ??= {}).annotations = annotations;
}
