// RFC 7386 JSON merge patch as gopkg.in/evanphx/json-patch.v4 MergePatch implements it (what the
// apiserver runs for application/merge-patch+json), including its null-pruning details.
import { badRequest } from '../api/status.js';
import type { KubeObject } from '../api/object.js';
import { asObject } from './json-patch.js';
import { deepClone, isMap, type JsonMap, type JsonValue } from './json-value.js';

export function mergePatch(original: KubeObject, patch: unknown): KubeObject {
  if (Array.isArray(patch)) {
    // Not a document: the library returns the patch itself (nulls pruned), which cannot decode.
    return asObject(pruneNulls(deepClone(patch as JsonValue)));
  }
  if (!isMap(patch)) throw badRequest('Invalid JSON Patch'); // jsonpatch.ErrBadJSONPatch
  const doc = deepClone(original as JsonMap);
  mergeDocs(doc, deepClone(patch));
  return doc as KubeObject;
}

function mergeDocs(doc: JsonMap, patch: JsonMap): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete doc[k];
      continue;
    }
    const cur = doc[k];
    doc[k] = cur === undefined || cur === null ? pruneNulls(v) : merge(cur, v);
  }
}

function merge(cur: JsonValue, patch: JsonValue): JsonValue {
  if (!isMap(cur)) return pruneNulls(patch);
  if (!isMap(patch)) return patch; // replaced as is (no pruning in the library on this path)
  mergeDocs(cur, patch);
  return cur;
}

/** Drops null object members recursively; null array elements are kept. */
function pruneNulls(v: JsonValue): JsonValue {
  if (isMap(v)) {
    for (const [k, child] of Object.entries(v)) {
      if (child === null) delete v[k];
      else pruneNulls(child);
    }
  } else if (Array.isArray(v)) {
    for (const child of v) if (child !== null) pruneNulls(child);
  }
  return v;
}
