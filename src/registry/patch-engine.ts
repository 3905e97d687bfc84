// The registry's view of the patch/apply engine (src/patch): one place that adapts the engine's
// signatures (times as metav1.Time strings) to the registry's (Dates).
import type { KubeObject } from '../api/object.js';
import * as patch from '../patch/index.js';
import type { SchemaNode } from '../patch/types.js';
import { rfc3339 } from './object-utils.js';

export const jsonPatch = patch.jsonPatch;
export const mergePatch = patch.mergePatch;
export const strategicMergePatch = patch.strategicMergePatch;

export function serverSideApply(
  live: KubeObject | undefined,
  applied: KubeObject,
  opts: { manager: string; force: boolean; schema?: SchemaNode; subresource?: string; now: Date },
): KubeObject {
  return patch.serverSideApply(live, applied, { ...opts, now: rfc3339(opts.now) });
}

/** Records the manager's fields of a non-apply write in `updated.metadata.managedFields`. */
export function trackUpdate(
  old: KubeObject | undefined,
  updated: KubeObject,
  opts: { manager?: string; userAgent?: string; subresource?: string; schema?: SchemaNode; now: Date },
): KubeObject {
  const manager = opts.manager || patch.defaultFieldManager(opts.userAgent ?? '');
  patch.updateManagedFields(old, updated, {
    manager,
    operation: 'Update',
    subresource: opts.subresource,
    schema: opts.schema,
    now: rfc3339(opts.now),
  });
  return updated;
}
