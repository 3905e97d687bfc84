// PATCH: json-patch, merge-patch, strategic-merge (only where the strategy accepts it; custom
// resources answer 415 as the apiserver does) and server-side apply, via src/patch.
import type { KubeObject } from '../api/object.js';
import { isObject } from '../api/object.js';
import { StatusError, badRequest, invalid, unsupportedMediaType } from '../api/status.js';
import type { PatchOptions } from './options.js';
import * as engine from './patch-engine.js';
import type { VirtualRegistry } from './registry.js';

export const allPatchTypes = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
  'application/apply-patch+cbor',
];

/** Patch types a resource accepts, in the apiserver's order (CRs: no strategic merge, no CBOR). */
export function acceptedPatchTypes(reg: VirtualRegistry): string[] {
  return allPatchTypes.filter(
    (t) =>
      (t !== 'application/strategic-merge-patch+json' || reg.strategy.strategicMergePatch) &&
      t !== 'application/apply-patch+cbor',
  );
}

/** The 415 for a patch type the resource does not accept (negotiation.NewUnsupportedMediaTypeError). */
export function unsupportedPatchType(accepted: string[]): StatusError {
  const e = unsupportedMediaType('', accepted);
  delete e.status.details;
  return e;
}

export async function patch(
  reg: VirtualRegistry,
  namespace: string,
  name: string,
  patchType: string,
  body: unknown,
  patchText: string,
  o: PatchOptions,
): Promise<{ object: KubeObject; created: boolean }> {
  const accepted = acceptedPatchTypes(reg);
  if (!accepted.includes(patchType)) throw unsupportedPatchType(accepted);
  const isApply = patchType === 'application/apply-patch+yaml';
  if (isApply && !o.fieldManager) {
    throw invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [
      { type: 'FieldValueRequired', field: 'fieldManager', detail: 'is required for apply patch' },
    ]);
  }
  if (!isApply && o.force !== undefined) {
    throw invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [
      { type: 'FieldValueForbidden', field: 'force', detail: 'may not be specified for non-apply patch' },
    ]);
  }
  const existing = reg.store.get(reg.key(namespace, name));
  const schema = reg.strategy.patchSchema?.();
  if (isApply) {
    if (!isObject(body)) throw badRequest('error decoding YAML: the apply patch must be an object');
    const applied = body as KubeObject;
    const base = existing ? await reg.read(existing.object) : undefined;
    const result = engine.serverSideApply(base, applied, {
      manager: o.fieldManager!,
      force: !!o.force,
      schema,
      subresource: o.subresource,
      now: reg.now(),
    });
    result.metadata ??= {};
    result.metadata.name ??= name;
    if (existing) result.metadata.resourceVersion = String(existing.rv);
    // managedFields were computed by apply: do not track them again as an Update.
    return reg.update(
      namespace,
      name,
      result,
      { ...o, fieldManager: o.fieldManager },
      { forceAllowCreate: true, patchText, managedFieldsDone: true },
    );
  }
  if (!existing) throw reg.notFoundError(name);
  const orig = await reg.read(existing.object);
  let patched: KubeObject;
  if (patchType === 'application/json-patch+json') patched = engine.jsonPatch(orig, body);
  else if (patchType === 'application/merge-patch+json') patched = engine.mergePatch(orig, body);
  else patched = engine.strategicMergePatch(orig, body, schema);
  patched.metadata ??= {};
  // A patch that does not set resourceVersion is unconditional (the apiserver pins it to the read).
  if (!patched.metadata.resourceVersion) patched.metadata.resourceVersion = String(existing.rv);
  if (patched.metadata.name !== name) {
    throw badRequest(
      `the name of the object (${String(patched.metadata.name)}) does not match the name on the URL (${name})`,
    );
  }
  return reg.update(namespace, name, patched, o, { patchText });
}
