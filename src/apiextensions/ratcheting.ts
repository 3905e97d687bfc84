// Correlating an object's old value with its new one, for validation ratcheting (schema and CEL
// rules alike): unchanged values that were already invalid are not reported again.
import { isDeepStrictEqual } from 'node:util';
import { isObject } from '../api/object.js';
import type { JSONSchemaProps } from './schema-types.js';

/** The old value at a place of the object, when there is one. */
export type Old = { v: unknown } | undefined;

/** Old element of a list-type map with the same keys (the only lists ratcheting correlates). */
export function oldListElement(old: Old, s: JSONSchemaProps, item: unknown): Old {
  const keys = s['x-kubernetes-list-map-keys'];
  if (
    !old ||
    !Array.isArray(old.v) ||
    s['x-kubernetes-list-type'] !== 'map' ||
    !keys?.length ||
    !isObject(item)
  )
    return undefined;
  const found = old.v.find((o) => isObject(o) && keys.every((k) => isDeepStrictEqual(o[k], item[k])));
  return found === undefined ? undefined : { v: found };
}
