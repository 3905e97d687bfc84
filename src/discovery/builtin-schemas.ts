// The built-in OpenAPI definitions (Kubernetes v1.32.5, GA group/versions), extracted once from
// the upstream spec by builtin-openapi/extract.ts. v3 schemas are stored; v2 definitions are
// derived from them (v3SchemaToV2) except the few stored as overrides.
import schemasV3 from './builtin-openapi/schemas-v3.json' with { type: 'json' };
import overridesV2 from './builtin-openapi/v2-overrides.json' with { type: 'json' };
import { isObject } from '../api/object.js';
import { type JSONObject, v3SchemaToV2 } from './schema-v2.js';

const V3 = schemasV3 as unknown as Record<string, JSONObject>;
const V2_OVERRIDES = overridesV2 as unknown as Record<string, JSONObject>;
const v2Cache = new Map<string, JSONObject>();

export const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
export const LIST_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';
export const STATUS = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';
export const DELETE_OPTIONS = 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions';
export const PATCH = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';

export function builtinSchemaV3(name: string): JSONObject | undefined {
  return V3[name];
}

export function builtinSchemaV2(name: string): JSONObject | undefined {
  let s = v2Cache.get(name);
  if (!s) {
    const v3 = V3[name];
    if (!v3) return undefined;
    s = V2_OVERRIDES[name] ?? v3SchemaToV2(v3);
    v2Cache.set(name, s);
  }
  return s;
}

let gvkIndex: Map<string, string> | undefined;
const gvkKey = (group: string, version: string, kind: string): string => `${group}/${version}/${kind}`;

/** The definition name of a built-in kind (`io.k8s.api.core.v1.Namespace`), by its x-kubernetes-group-version-kind. */
export function builtinDefinitionFor(group: string, version: string, kind: string): string | undefined {
  if (!gvkIndex) {
    gvkIndex = new Map();
    for (const [name, schema] of Object.entries(V3)) {
      const gvks = schema['x-kubernetes-group-version-kind'];
      if (!Array.isArray(gvks)) continue;
      for (const g of gvks as { group: string; version: string; kind: string }[]) {
        const key = gvkKey(g.group, g.version, g.kind);
        // DeleteOptions, WatchEvent... carry every group's GVK; a kind's own definition wins.
        if (!gvkIndex.has(key) || name.endsWith(`.${g.kind}`)) gvkIndex.set(key, name);
      }
    }
  }
  return gvkIndex.get(gvkKey(group, version, kind));
}

/** Every definition name reachable by $ref from `schemas` (names given or nested refs), resolved in the built-in catalog. */
export function referencedDefinitions(
  roots: Iterable<unknown>,
  known: (name: string) => JSONObject | undefined,
): Set<string> {
  const seen = new Set<string>();
  const stack: unknown[] = [...roots];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      stack.push(...v);
    } else if (isObject(v)) {
      for (const [k, val] of Object.entries(v)) {
        if (k === '$ref' && typeof val === 'string') {
          const name = val.slice(val.lastIndexOf('/') + 1);
          if (!seen.has(name)) {
            seen.add(name);
            const def = known(name);
            if (def) stack.push(def);
          }
        } else if (typeof val === 'object') {
          stack.push(val);
        }
      }
    }
  }
  return seen;
}
