// Patches of host-backed objects are applied HERE, to the tenant's view of the current object, and
// the result goes to the host as a rewritten full object (PUT with the read's resourceVersion).
// A patch never reaches the host as the tenant wrote it: JSON patch ops, merge-patch nulls and
// strategic-merge directives could otherwise address host namespaces, kplex's own labels or a
// namespace selector's tenant term, which only a rewrite of the whole result can guarantee.
// Server-side apply configurations are whole (partial) objects and are rewritten like a create.
import type { KubeObject } from '../api/object.js';
import { type StatusError, badRequest, statusFailure } from '../api/status.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../patch/index.js';
import { goFormatV } from '../patch/json-value.js';
import { builtinPatchSchema } from '../registry/builtin-patch-schema.js';
import type { ResourceInfo } from '../resources/types.js';
import type { NamespaceMap } from '../rewrite/namespace-translator.js';
import {
  hostOnlyKeys,
  objectToHost,
  objectToVirtual,
  restoreHostOnlyKeys,
} from '../rewrite/object-rewrite.js';

export const APPLY_PATCH = 'application/apply-patch+yaml';

/** Patch types kplex applies itself (everything else is refused by the host with its 415). */
const APPLIED_HERE = new Set([
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
]);

export const appliedHere = (mediaType: string): boolean => APPLIED_HERE.has(mediaType);

/** The Scale subresource is autoscaling/v1 Scale whatever the parent's group. */
function patchSchema(row: ResourceInfo, subresource: string | undefined) {
  if (subresource === 'scale') return builtinPatchSchema('autoscaling', 'v1', 'Scale');
  return builtinPatchSchema(row.group, row.version, row.kind);
}

/** What Go's encoding/json calls a JSON value's type in "cannot unmarshal X into ...". */
const goKind = (v: unknown): string =>
  Array.isArray(v)
    ? 'array'
    : v === null
      ? 'null'
      : typeof v === 'object'
        ? 'object'
        : typeof v === 'boolean'
          ? 'bool'
          : typeof v;

/**
 * patch.go decodes a JSON patch into []jsonPatchOp first unless fieldValidation=Ignore (the
 * default is Warn): its type errors are the answer then.
 */
function checkJSONPatchShape(patch: unknown): void {
  const fail = (what: string): never => {
    throw badRequest(`error decoding patch: json: cannot unmarshal ${what}`);
  };
  if (patch === null || patch === undefined) return;
  if (!Array.isArray(patch)) fail(`${goKind(patch)} into Go value of type []handlers.jsonPatchOp`);
  for (const op of patch as unknown[]) {
    if (op === null) continue;
    if (typeof op !== 'object' || Array.isArray(op))
      fail(`${goKind(op)} into Go value of type handlers.jsonPatchOp`);
    for (const f of ['op', 'path', 'from'])
      if (f in (op as object)) {
        const v = (op as Record<string, unknown>)[f];
        if (v !== null && typeof v !== 'string')
          fail(`${goKind(v)} into Go struct field jsonPatchOp.${f} of type string`);
      }
  }
}

export interface PatchTarget {
  row: ResourceInfo;
  subresource: string | undefined;
  /** The virtual namespace and name on the URL. */
  namespace: string;
  name: string;
  hostNamespace: string | undefined;
  map: NamespaceMap;
  /** The request's fieldValidation directive ('' when not given). */
  fieldValidation?: string;
}

/**
 * Applies `patch` to the host's current object `current` (as the host returned it) and returns
 * the object to PUT on the host; `pinned` when the patch itself set the resourceVersion (a
 * precondition: a conflict is the answer, not a reason to read again). Throws the apiserver's
 * patch errors (400/422) in virtual names.
 */
export function patchedForHost(
  t: PatchTarget,
  current: KubeObject,
  mediaType: string,
  patch: unknown,
): { object: KubeObject; pinned: boolean; shown: string } {
  const kept = hostOnlyKeys(current);
  const hostRV = current.metadata?.resourceVersion;
  const view = structuredClone(current);
  objectToVirtual(view, t.map);
  const viewFields = JSON.stringify(view.metadata?.managedFields);
  let patched: KubeObject;
  if (mediaType === 'application/json-patch+json') {
    if (t.fieldValidation !== 'Ignore') checkJSONPatchShape(patch);
    patched = jsonPatch(view, patch);
  } else if (mediaType === 'application/merge-patch+json') {
    if (
      t.fieldValidation !== 'Ignore' &&
      patch !== null &&
      patch !== undefined &&
      (typeof patch !== 'object' || Array.isArray(patch))
    )
      throw badRequest(
        `error decoding patch: json: cannot unmarshal ${goKind(patch)} into Go value of type map[string]interface {}`,
      );
    patched = mergePatch(view, patch);
  } else patched = strategicMergePatch(view, patch, patchSchema(t.row, t.subresource));
  checkNames(patched, t.name, t.namespace);
  const shown =
    mediaType === 'application/strategic-merge-patch+json' ? goFormatV(patch) : patchedJSON(patched);
  patched.metadata ??= {};
  const pinned = !!patched.metadata.resourceVersion && patched.metadata.resourceVersion !== hostRV;
  // A patch without a resourceVersion is applied to what was read (the apiserver pins it the same way).
  if (!patched.metadata.resourceVersion && hostRV) patched.metadata.resourceVersion = hostRV;
  if (t.hostNamespace !== undefined) patched.metadata.namespace = t.hostNamespace;
  objectToHost(patched, t.map, t.hostNamespace, current);
  restoreHostOnlyKeys(patched, kept);
  // managedFields the patch left alone go back as the host has them (with kplex's own entries).
  if (JSON.stringify(patched.metadata.managedFields) === viewFields)
    patched.metadata.managedFields = current.metadata?.managedFields;
  return { object: patched, pinned, shown };
}

/** The patched object as patch.go quotes it in a strict-decoding error (top level re-marshalled, sorted). */
function patchedJSON(obj: KubeObject): string {
  const o = obj as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  if (out['metadata'] && typeof out['metadata'] === 'object') {
    const { managedFields: _drop, ...meta } = out['metadata'] as Record<string, unknown>;
    out['metadata'] = meta;
  }
  return JSON.stringify(out);
}

/**
 * patch.go's answer to strict-decoding errors of a patched object (fieldValidation=Strict):
 * 422 with the patch (strategic) or the patched object (JSON, merge) as the invalid value.
 */
export function strictPatchError(shown: string, errors: string[]): StatusError {
  const msg = `Invalid value: ${JSON.stringify(shown)}: strict decoding error: ${errors.join(', ')}`;
  return statusFailure(422, 'Invalid', ` "" is invalid: patch: ${msg}`, {
    causes: [{ reason: 'FieldValueInvalid', message: msg, field: 'patch' }],
  });
}

/** An apply configuration: checked like the apiserver's checkName, then rewritten as a create. */
export function applyConfigForHost(t: PatchTarget, config: unknown): unknown {
  if (config !== null && typeof config === 'object' && !Array.isArray(config)) {
    const meta = (config as KubeObject).metadata;
    if (meta && typeof meta === 'object') {
      if (typeof meta.namespace === 'string' && meta.namespace && meta.namespace !== t.namespace)
        throw namespaceMismatch();
    }
  }
  objectToHost(config, t.map, t.hostNamespace);
  return config;
}

/** rest.EnsureObjectNamespaceMatchesRequestNamespace. */
const namespaceMismatch = () =>
  badRequest('the namespace of the provided object does not match the namespace sent on the request');

/** rest.go checkName, in the tenant's names. */
function checkNames(obj: KubeObject, name: string, namespace: string): void {
  const meta = obj.metadata ?? {};
  const objName = typeof meta.name === 'string' ? meta.name : '';
  if (objName !== name)
    throw badRequest(`the name of the object (${objName}) does not match the name on the URL (${name})`);
  const objNs = typeof meta.namespace === 'string' ? meta.namespace : '';
  if (namespace && objNs && objNs !== namespace) throw namespaceMismatch();
}
