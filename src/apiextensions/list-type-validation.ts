// x-kubernetes-list-type set/map uniqueness (apiserver/schema/listtype/validation.go).
import { isObject } from '../api/object.js';
import type { FieldError } from '../api/status.js';
import { fieldErr } from '../api/field-errors.js';
import { additionalSchema, itemSchema, type JSONSchemaProps } from './schema-types.js';

/** Go json.Marshal of decoded JSON: map keys sorted. */
function canonicalJSON(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJSON).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJSON(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v ?? null);
}

const UNSPECIFIED = Symbol('unspecified');

/** Indices of the second occurrence of each duplicated element (the apiserver reports those). */
function nonUniqueIndices(items: unknown[]): number[] {
  if (items.length <= 1) return [];
  const seen = new Map<unknown, number>();
  const out: number[] = [];
  items.forEach((x, i) => {
    const key = typeof x === 'object' && x !== null ? `c:${canonicalJSON(x)}` : x;
    const times = seen.get(key) ?? 0;
    seen.set(key, times + 1);
    if (times === 1) out.push(i);
  });
  return out;
}

function validateListMap(fld: string, s: JSONSchemaProps, obj: unknown[]): FieldError[] {
  for (let i = 0; i < obj.length; i++) {
    const x = obj[i];
    if (x !== null && !isObject(x))
      return [fieldErr.invalid(`${fld}[${i}]`, x, 'must be an object for an array of list-type map')];
  }
  if (obj.length <= 1) return [];
  const keyFields = s['x-kubernetes-list-map-keys'] ?? [];
  if (keyFields.length === 1) {
    const kf = keyFields[0]!;
    const keys = obj.map((x) => (isObject(x) && kf in x ? x[kf] : UNSPECIFIED));
    return nonUniqueIndices(keys).map((i) =>
      fieldErr.duplicate(`${fld}[${i}]`, keys[i] === UNSPECIFIED ? {} : { [kf]: keys[i] }),
    );
  }
  const keys = obj.map((x) => {
    const key: Record<string, unknown> = {};
    if (isObject(x)) for (const kf of keyFields) if (kf in x) key[kf] = x[kf];
    return key;
  });
  return nonUniqueIndices(keys).map((i) => fieldErr.duplicate(`${fld}[${i}]`, keys[i]));
}

function validateValue(fld: string, s: JSONSchemaProps | undefined, v: unknown): FieldError[] {
  if (!s) return [];
  if (Array.isArray(v)) {
    const errs: FieldError[] = [];
    const lt = s['x-kubernetes-list-type'];
    if (lt === 'set') nonUniqueIndices(v).forEach((i) => errs.push(fieldErr.duplicate(`${fld}[${i}]`, v[i])));
    else if (lt === 'map') errs.push(...validateListMap(fld, s, v));
    const items = itemSchema(s);
    if (items) v.forEach((x, i) => errs.push(...validateValue(`${fld}[${i}]`, items, x)));
    return errs;
  }
  if (isObject(v)) return validateListSetsAndMaps(fld, s, v);
  return [];
}

/** ValidateListSetsAndMaps: Duplicate errors for repeated set elements and map-list keys. */
export function validateListSetsAndMaps(
  fld: string,
  s: JSONSchemaProps | undefined,
  obj: Record<string, unknown>,
): FieldError[] {
  if (!s) return [];
  const errs: FieldError[] = [];
  const addl = additionalSchema(s);
  if (addl) for (const [k, v] of Object.entries(obj)) errs.push(...validateValue(`${fld}[${k}]`, addl, v));
  if (s.properties) {
    for (const [k, v] of Object.entries(obj)) {
      const sub = s.properties[k];
      if (sub) errs.push(...validateValue(fld ? `${fld}.${k}` : k, sub, v));
    }
  }
  return errs;
}
