// PATCH on the scale subresource: the patch applies to the Scale view, whose spec.replicas is
// then written back into the object.
import type { KubeObject } from '../api/object.js';
import type { PatchOptions } from './options.js';
import { acceptedPatchTypes, unsupportedPatchType } from './patch.js';
import * as engine from './patch-engine.js';
import type { VirtualRegistry } from './registry.js';
import { getScale, updateScale } from './scale.js';

export async function patchScale(
  reg: VirtualRegistry,
  ns: string,
  name: string,
  patchType: string,
  body: unknown,
  o: PatchOptions,
): Promise<KubeObject> {
  const accepted = acceptedPatchTypes(reg).filter((t) => t !== 'application/apply-patch+yaml');
  if (!accepted.includes(patchType)) throw unsupportedPatchType(acceptedPatchTypes(reg));
  const scale = await getScale(reg, ns, name);
  const patched =
    patchType === 'application/json-patch+json'
      ? engine.jsonPatch(scale, body)
      : patchType === 'application/merge-patch+json'
        ? engine.mergePatch(scale, body)
        : engine.strategicMergePatch(scale, body, undefined);
  return updateScale(reg, ns, name, patched, o);
}
