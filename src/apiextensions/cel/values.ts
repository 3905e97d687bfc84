// Converts JSON values into CEL values following the structural schema, as apiserver/schema/cel
// model does: integers are CEL int (bigint), numbers double, objects and maps CEL maps, arrays lists.
import { isObject } from '../../api/object.js';
import { additionalSchema, itemSchema, type JSONSchemaProps } from '../schema-types.js';
import { escapeProperty } from './escape.js';

export function toCel(v: unknown, s: JSONSchemaProps | undefined): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') {
    const t = s?.type;
    if (t === 'number') return v;
    if (t === 'integer' || s?.['x-kubernetes-int-or-string'] || Number.isInteger(v))
      return Number.isInteger(v) ? BigInt(v) : v;
    return v;
  }
  if (Array.isArray(v)) {
    const items = itemSchema(s);
    return v.map((x) => toCel(x, items));
  }
  if (isObject(v)) {
    const addl = additionalSchema(s);
    const m = new Map<string, unknown>();
    for (const [k, x] of Object.entries(v)) {
      const prop = s?.properties?.[k];
      // Declared properties are fields, named as CEL escapes them; map keys stay as they are.
      const name = prop ? escapeProperty(k) : k;
      if (name !== undefined) m.set(name, toCel(x, prop ?? addl));
    }
    return m;
  }
  return v;
}
