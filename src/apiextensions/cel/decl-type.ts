// The CEL view of a structural schema that cost estimation needs (apiserver/pkg/cel/common
// SchemaDeclType): each node's kind, its maximum number of elements (maxItems, maxProperties,
// 4 x maxLength, or what fits into a maximal request) and its minimum serialized JSON size.
import { additionalSchema, itemSchema, type JSONSchemaProps } from '../schema-types.js';
import { escapeProperty } from './escape.js';

/** celconfig.MaxRequestSizeBytes: bounds every size the schema leaves open. */
export const MAX_REQUEST_SIZE_BYTES = 3 * 1024 * 1024;

export type DeclKind =
  | 'object'
  | 'map'
  | 'list'
  | 'string'
  | 'bytes'
  | 'int'
  | 'double'
  | 'bool'
  | 'dyn'
  | 'duration'
  | 'timestamp';

export interface Decl {
  kind: DeclKind;
  maxElements: number;
  minSerializedSize: number;
  /** Object fields by their CEL (escaped) names. */
  fields?: Map<string, Decl>;
  elem?: Decl;
  key?: Decl;
}

// apiserver/pkg/cel limits on the JSON form of formatted strings.
const MAX_DURATION_SIZE_JSON = 32;
const MIN_DURATION_SIZE_JSON = 4;
const JSON_DATE_SIZE = 12;
const MIN_DATETIME_SIZE_JSON = 22;
const MAX_DATETIME_SIZE_JSON = 64;
const MIN_STRING_SIZE = 2;

const zeroIfNegative = (v: number) => (v < 0 ? 0 : v);

function maxStringLength(s: JSONSchemaProps): number {
  if (s['x-kubernetes-int-or-string']) return MAX_REQUEST_SIZE_BYTES - 2;
  switch (s.format) {
    case 'duration':
      return MAX_DURATION_SIZE_JSON;
    case 'date':
      return JSON_DATE_SIZE;
    case 'date-time':
      return MAX_DATETIME_SIZE_JSON;
    default:
      return MAX_REQUEST_SIZE_BYTES - 2;
  }
}

const withTypeAndObjectMeta = (s: JSONSchemaProps): JSONSchemaProps => ({
  ...s,
  properties: {
    ...s.properties,
    kind: { type: 'string' },
    apiVersion: { type: 'string' },
    metadata: { type: 'object', properties: { name: { type: 'string' }, generateName: { type: 'string' } } },
  },
});

/** SchemaDeclType: undefined when the schema is not visible to CEL. */
export function schemaDecl(s: JSONSchemaProps | undefined, isResourceRoot: boolean): Decl | undefined {
  if (!s) return undefined;
  if (s['x-kubernetes-int-or-string']) {
    return {
      kind: 'dyn',
      minSerializedSize: 1,
      maxElements: s.maxLength !== undefined ? zeroIfNegative(s.maxLength) * 4 : maxStringLength(s),
    };
  }
  if (isResourceRoot) s = withTypeAndObjectMeta(s);
  switch (s.type) {
    case 'array': {
      const items = itemSchema(s);
      const elem = items && schemaDecl(items, !!items['x-kubernetes-embedded-resource']);
      if (!elem) return undefined;
      const max =
        s.maxItems !== undefined
          ? zeroIfNegative(s.maxItems)
          : Math.floor((MAX_REQUEST_SIZE_BYTES - 2) / (elem.minSerializedSize + 1));
      return { kind: 'list', elem, maxElements: max, minSerializedSize: 2 };
    }
    case 'object': {
      const addl = additionalSchema(s);
      if (addl) {
        const elem = schemaDecl(addl, !!addl['x-kubernetes-embedded-resource']);
        if (!elem) return undefined;
        const max =
          s.maxProperties !== undefined
            ? zeroIfNegative(s.maxProperties)
            : Math.floor((MAX_REQUEST_SIZE_BYTES - 2) / (elem.minSerializedSize + 6));
        return {
          kind: 'map',
          elem,
          key: {
            kind: 'string',
            maxElements: MAX_REQUEST_SIZE_BYTES - 2,
            minSerializedSize: MIN_STRING_SIZE,
          },
          maxElements: max,
          minSerializedSize: 2,
        };
      }
      const required = new Set(s.required ?? []);
      const fields = new Map<string, Decl>();
      let min = 2;
      for (const [name, prop] of Object.entries(s.properties ?? {})) {
        const t = schemaDecl(prop, !!prop['x-kubernetes-embedded-resource']);
        if (!t) continue;
        const field = escapeProperty(name);
        if (field !== undefined) fields.set(field, t);
        if (required.has(name) && prop.default === undefined) min += name.length + t.minSerializedSize + 4;
      }
      return { kind: 'object', fields, maxElements: 0, minSerializedSize: min };
    }
    case 'string': {
      switch (s.format) {
        case 'byte':
          return {
            kind: 'bytes',
            minSerializedSize: MIN_STRING_SIZE,
            maxElements: s.maxLength !== undefined ? zeroIfNegative(s.maxLength) : maxStringLength(s),
          };
        case 'duration':
          return {
            kind: 'duration',
            minSerializedSize: MIN_DURATION_SIZE_JSON,
            maxElements: maxStringLength(s),
          };
        case 'date':
          return { kind: 'timestamp', minSerializedSize: JSON_DATE_SIZE, maxElements: maxStringLength(s) };
        case 'date-time':
          return {
            kind: 'timestamp',
            minSerializedSize: MIN_DATETIME_SIZE_JSON,
            maxElements: maxStringLength(s),
          };
      }
      let max: number;
      if (s.maxLength !== undefined) max = zeroIfNegative(s.maxLength) * 4;
      else if (s.enum?.length)
        max = Math.max(0, ...s.enum.map((e) => (typeof e === 'string' ? e.length : 0)));
      else max = maxStringLength(s);
      return { kind: 'string', minSerializedSize: MIN_STRING_SIZE, maxElements: max };
    }
    case 'boolean':
      return { kind: 'bool', minSerializedSize: 4, maxElements: 0 };
    case 'number':
      return { kind: 'double', minSerializedSize: 1, maxElements: 0 };
    case 'integer':
      return { kind: 'int', minSerializedSize: 1, maxElements: 0 };
  }
  return undefined;
}
