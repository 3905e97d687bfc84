// Turns an OpenAPI v3 schema (components/schemas form) into its OpenAPI v2 (swagger definitions)
// form, the way kube-openapi renders the same Go types for /openapi/v2: a lone `allOf` ref becomes
// a plain `$ref`, defaults are dropped and refs point at #/definitions/.
import { isObject } from '../api/object.js';

export type JSONObject = { [key: string]: unknown };

const V3_PREFIX = '#/components/schemas/';
const V2_PREFIX = '#/definitions/';

/** Schema keywords whose values are schemas, lists of schemas, or maps of schemas. */
const SCHEMA_MAPS = ['properties', 'patternProperties', 'definitions'] as const;
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf'] as const;
const SCHEMA_VALUES = ['items', 'additionalProperties', 'not'] as const;

/** Applies `fn` to every nested schema of `schema` (not to `schema` itself), returning a copy. */
export function mapSubschemas(schema: JSONObject, fn: (s: JSONObject) => JSONObject): JSONObject {
  const out: JSONObject = { ...schema };
  for (const k of SCHEMA_MAPS) {
    const m = schema[k];
    if (isObject(m)) {
      const mapped: JSONObject = {};
      for (const [name, sub] of Object.entries(m)) mapped[name] = isObject(sub) ? fn(sub) : sub;
      out[k] = mapped;
    }
  }
  for (const k of SCHEMA_LISTS) {
    const l = schema[k];
    if (Array.isArray(l)) out[k] = l.map((sub) => (isObject(sub) ? fn(sub) : sub));
  }
  for (const k of SCHEMA_VALUES) {
    const v = schema[k];
    if (isObject(v)) out[k] = fn(v);
    else if (Array.isArray(v)) out[k] = v.map((sub) => (isObject(sub) ? fn(sub) : sub));
  }
  return out;
}

export function v3SchemaToV2(schema: JSONObject): JSONObject {
  const out = mapSubschemas(schema, v3SchemaToV2);
  delete out['default'];
  const allOf = out['allOf'];
  if (
    Array.isArray(allOf) &&
    allOf.length === 1 &&
    isObject(allOf[0]) &&
    typeof allOf[0]['$ref'] === 'string'
  ) {
    delete out['allOf'];
    out['$ref'] = allOf[0]['$ref'];
  }
  const ref = out['$ref'];
  if (typeof ref === 'string' && ref.startsWith(V3_PREFIX))
    out['$ref'] = V2_PREFIX + ref.slice(V3_PREFIX.length);
  return sortKeys(out);
}

/** Object keys in byte order, as Go's encoding of maps and kube-openapi's schema encoding print them. */
export function sortKeys(o: JSONObject): JSONObject {
  const out: JSONObject = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}
