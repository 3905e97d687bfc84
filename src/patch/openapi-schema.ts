// OpenAPI v3 schema (a CRD's openAPIV3Schema, or a built-in definition with $refs) -> SchemaNode:
// the x-kubernetes-* extensions server-side apply and strategic merge patch read.
import { isMap } from './json-value.js';
import type { SchemaNode } from './types.js';

export interface OpenAPIConversionOptions {
  /** Named schemas that `$ref`s point at (`#/components/schemas/<name>` or `#/definitions/<name>`). */
  definitions?: Record<string, unknown>;
}

const scalarTypes = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

export function schemaNodeFromOpenAPIV3(schema: unknown, options: OpenAPIConversionOptions = {}): SchemaNode {
  const memo = new Map<unknown, SchemaNode>();
  const byRef = new Map<string, SchemaNode>();

  const refTarget = (s: Record<string, unknown>): string | undefined => {
    if (typeof s.$ref === 'string') return s.$ref;
    const allOf = s.allOf;
    if (Array.isArray(allOf) && allOf.length === 1 && isMap(allOf[0]) && typeof allOf[0].$ref === 'string')
      return allOf[0].$ref;
    return undefined;
  };

  const resolveRef = (ref: string): SchemaNode => {
    const name = ref.slice(ref.lastIndexOf('/') + 1);
    let node = byRef.get(name);
    if (!node) {
      node = {};
      byRef.set(name, node);
      fill(node, options.definitions?.[name]);
    }
    return node;
  };

  const convert = (s: unknown): SchemaNode => {
    if (!isMap(s)) return {};
    let node = memo.get(s);
    if (node) return node;
    const ref = refTarget(s);
    if (ref) {
      const target = resolveRef(ref);
      const mapType = s['x-kubernetes-map-type'];
      node = mapType === 'atomic' || mapType === 'granular' ? { ...target, mapType } : target;
      memo.set(s, node);
      return node;
    }
    node = {};
    memo.set(s, node);
    fill(node, s);
    return node;
  };

  const fill = (node: SchemaNode, s: unknown): void => {
    if (!isMap(s)) return;
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    if (typeof type === 'string' && scalarTypes.has(type)) node.type = type as SchemaNode['type'];
    if (isMap(s.properties)) {
      node.properties = {};
      for (const [k, v] of Object.entries(s.properties)) node.properties[k] = convert(v);
    }
    if (s.additionalProperties === true || s.additionalProperties === false)
      node.additionalProperties = s.additionalProperties;
    else if (isMap(s.additionalProperties)) node.additionalProperties = convert(s.additionalProperties);
    const items = Array.isArray(s.items) ? s.items[0] : s.items;
    if (isMap(items)) node.items = convert(items);
    const listType = s['x-kubernetes-list-type'];
    if (listType === 'atomic' || listType === 'set' || listType === 'map') node.listType = listType;
    const keys = s['x-kubernetes-list-map-keys'];
    if (Array.isArray(keys)) node.listMapKeys = keys.filter((k): k is string => typeof k === 'string');
    const mapType = s['x-kubernetes-map-type'];
    if (mapType === 'atomic' || mapType === 'granular') node.mapType = mapType;
    if (typeof s['x-kubernetes-patch-strategy'] === 'string')
      node.patchStrategy = s['x-kubernetes-patch-strategy'];
    if (typeof s['x-kubernetes-patch-merge-key'] === 'string')
      node.patchMergeKey = s['x-kubernetes-patch-merge-key'];
    if (s['x-kubernetes-preserve-unknown-fields'] === true) node.preserveUnknownFields = true;
    if (s['x-kubernetes-int-or-string'] === true || s.format === 'int-or-string') node.intOrString = true;
    if (s.default !== undefined) node.default = s.default;
  };

  return convert(schema);
}
