// Defaulting of custom resources (apiserver/schema/defaulting): defaults fill absent fields and
// nulls of non-nullable fields, in properties, array items and additionalProperties; nulls of
// non-nullable fields without a default are dropped first (PruneNonNullableNullsWithoutDefaults).
import { isObject } from '../api/object.js';
import { additionalSchema, itemSchema, type JSONSchemaProps } from './schema-types.js';

const clone = <T>(v: T): T => structuredClone(v);

/** Applies schema defaults to `x` in place. */
export function applyDefaults(x: unknown, s: JSONSchemaProps | undefined): void {
  if (!s) return;
  if (isObject(x)) {
    for (const [k, prop] of Object.entries(s.properties ?? {})) {
      if (prop.default === undefined) continue;
      const has = Object.prototype.hasOwnProperty.call(x, k);
      if (!has || (x[k] === null && !prop.nullable)) x[k] = clone(prop.default);
    }
    const addl = additionalSchema(s);
    if (addl?.default !== undefined && !addl.nullable) {
      for (const k of Object.keys(x)) if (x[k] === null && !s.properties?.[k]) x[k] = clone(addl.default);
    }
    for (const [k, v] of Object.entries(x)) {
      const prop = s.properties?.[k];
      if (prop) applyDefaults(v, prop);
      else if (addl) applyDefaults(v, addl);
    }
  } else if (Array.isArray(x)) {
    const items = itemSchema(s);
    if (!items) return;
    for (let i = 0; i < x.length; i++) {
      if (x[i] === null && items.default !== undefined && !items.nullable) x[i] = clone(items.default);
      applyDefaults(x[i], items);
    }
  }
}

/** Whether applyDefaults can change anything under `s`: a property, item or additional-properties schema has a default. */
export function hasDefaults(s: JSONSchemaProps | undefined): boolean {
  if (!s) return false;
  const children = [...Object.values(s.properties ?? {}), additionalSchema(s), itemSchema(s)];
  return children.some((c) => c !== undefined && (c.default !== undefined || hasDefaults(c)));
}

/** Drops null values of non-nullable fields that have no default, recursively. */
export function pruneNonNullableNulls(x: unknown, s: JSONSchemaProps | undefined): void {
  if (!s) return;
  if (isObject(x)) {
    const addl = additionalSchema(s);
    for (const [k, v] of Object.entries(x)) {
      const prop = s.properties?.[k] ?? addl;
      if (!prop) continue;
      if (v === null) {
        if (!prop.nullable && prop.default === undefined) delete x[k];
        continue;
      }
      pruneNonNullableNulls(v, prop);
    }
  } else if (Array.isArray(x)) {
    const items = itemSchema(s);
    for (const v of x) pruneNonNullableNulls(v, items);
  }
}
