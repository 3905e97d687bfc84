// Reading fields of a decoded object, and the checks every update validator repeats.
import { isObject } from '../api/object.js';
import type { KubeObject } from '../api/object.js';
import { fieldErr } from '../api/field-errors.js';
import type { FieldError } from '../api/status.js';
import { deepEqual } from '../registry/object-utils.js';

/** The value at a path below an object (undefined where a step is missing or not an object). */
export function valueAt(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const step of path) cur = isObject(cur) ? cur[step] : undefined;
  return cur;
}

/** A string field as a field selector reads it: '' when unset. */
export const stringAt = (o: KubeObject, ...path: string[]): string => {
  const v = valueAt(o, ...path);
  return typeof v === 'string' ? v : '';
};

/** apivalidation.ValidateImmutableField: `field is immutable` when the value changed. */
export function immutable(obj: KubeObject, old: KubeObject, ...path: string[]): FieldError[] {
  const now = valueAt(obj, ...path);
  return deepEqual(now, valueAt(old, ...path))
    ? []
    : [fieldErr.invalid(path.join('.'), now, 'field is immutable')];
}
