// The structured-merge-diff view of a SchemaNode: what k8s.io/kube-openapi/pkg/schemaconv builds
// from an OpenAPI schema (atoms of scalar/list/map, list and map element relationships, the
// "__untyped_deduced_" and "__untyped_atomic_" types for free-form fields).
import type { SchemaNode } from './types.js';

export type ScalarType = 'numeric' | 'string' | 'boolean' | 'untyped';

export interface ListAtom {
  /** associative = set (no keys) or map (keys). */
  relationship: 'atomic' | 'associative';
  keys: string[];
  elem: () => Atom;
}

export interface MapAtom {
  /** separable = granular. */
  relationship: 'separable' | 'atomic';
  field: (name: string) => FieldType | undefined;
  /** Type of keys that are not declared fields; undefined: no other keys allowed. */
  elem: (() => Atom) | undefined;
}

export interface FieldType {
  type: () => Atom;
  default?: unknown;
}

export interface Atom {
  scalar?: ScalarType;
  list?: ListAtom;
  map?: MapAtom;
}

const untypedAtomic: Atom = {
  scalar: 'untyped',
  list: { relationship: 'atomic', keys: [], elem: () => untypedAtomic },
  map: { relationship: 'atomic', field: () => undefined, elem: () => untypedAtomic },
};

export const deducedAtom: Atom = {
  scalar: 'untyped',
  list: { relationship: 'atomic', keys: [], elem: () => untypedAtomic },
  map: { relationship: 'separable', field: () => undefined, elem: () => deducedAtom },
};

// Converted atoms, per node and per inherited preserve-unknown-fields (schemas may be cyclic
// through resolved $refs, so children convert lazily).
const cache = [new WeakMap<SchemaNode, Atom>(), new WeakMap<SchemaNode, Atom>()];

export function atomOf(node: SchemaNode, preserveUnknown = false): Atom {
  const preserve = preserveUnknown || node.preserveUnknownFields === true;
  const c = cache[preserve ? 1 : 0]!;
  let atom = c.get(node);
  if (!atom) {
    atom = parseSchema(node, preserve);
    c.set(node, atom);
  }
  return atom;
}

function parseSchema(node: SchemaNode, preserve: boolean): Atom {
  if (node.intOrString) return { scalar: 'untyped' };
  switch (node.type) {
    case undefined:
      return { scalar: 'untyped', list: parseList(node, preserve), map: parseObject(node, preserve) };
    case 'object':
      return { map: parseObject(node, preserve) };
    case 'array':
      return { list: parseList(node, preserve) };
    case 'integer':
    case 'number':
      return { scalar: 'numeric' };
    case 'string':
      return { scalar: 'string' };
    case 'boolean':
      return { scalar: 'boolean' };
    default:
      return { scalar: 'untyped' };
  }
}

function parseObject(node: SchemaNode, preserve: boolean): MapAtom {
  const props = node.properties ?? {};
  const fieldCache = new Map<string, FieldType>();
  const field = (name: string): FieldType | undefined => {
    if (!Object.prototype.hasOwnProperty.call(props, name)) return undefined;
    let f = fieldCache.get(name);
    if (!f) {
      const p = props[name]!;
      f = { type: () => atomOf(p, preserve), default: p.default };
      fieldCache.set(name, f);
    }
    return f;
  };
  let elem: (() => Atom) | undefined;
  const ap = node.additionalProperties;
  if (ap === undefined) {
    // An object without properties is free-form; with properties only preserve-unknown opens it.
    if (preserve || Object.keys(props).length === 0) elem = () => deducedAtom;
  } else if (ap === true) {
    elem = () => deducedAtom;
  } else if (ap !== false) {
    elem = () => atomOf(ap, preserve);
  }
  return { relationship: node.mapType === 'atomic' ? 'atomic' : 'separable', field, elem };
}

function parseList(node: SchemaNode, preserve: boolean): ListAtom {
  let relationship: ListAtom['relationship'] = 'atomic';
  let keys: string[] = [];
  if (node.listType === 'set') relationship = 'associative';
  else if (node.listType === 'map') {
    relationship = 'associative';
    keys = node.listMapKeys ?? [];
  } else if (node.listType === undefined && node.patchStrategy) {
    // Built-in types: x-kubernetes-patch-strategy merge (with merge key: map, without: set).
    if (node.patchStrategy === 'merge' || node.patchStrategy === 'merge,retainKeys') {
      relationship = 'associative';
      keys = node.patchMergeKey ? [node.patchMergeKey] : [];
    }
  }
  const items = node.items;
  return { relationship, keys, elem: items ? () => atomOf(items, preserve) : () => untypedAtomic };
}
