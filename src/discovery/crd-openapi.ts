// OpenAPI definitions of a CRD version, as the apiextensions OpenAPI builder publishes them:
// the CRD's openAPIV3Schema with apiVersion/kind/metadata of a Kubernetes object and the
// x-kubernetes-group-version-kind extension, plus the list kind. v2 drops what swagger can not say.
import type { ResourceInfo } from '../resources/types.js';
import { LIST_META, OBJECT_META, builtinSchemaV3 } from './builtin-schemas.js';
import type { OpenAPIVersion } from './openapi-render.js';
import { isObject } from '../api/object.js';
import { type JSONObject, mapSubschemas } from './schema-v2.js';

/** The CRD's openAPIV3Schema for the row's version, or undefined when it has none. */
export type SchemaFor = (row: ResourceInfo) => JSONObject | undefined;

const METADATA_DESCRIPTION =
  "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const LIST_METADATA_DESCRIPTION =
  'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
const EMBEDDED_API_VERSION =
  'apiVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const EMBEDDED_KIND =
  'kind is a string value representing the type of this object. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

/** Keywords a structural schema does not keep (NewStructural drops them). */
const NOT_STRUCTURAL = ['example', 'externalDocs', 'id', '$schema'];

/** `stable.example.com/v1.CronTab` -> `com.example.stable.v1.CronTab` (kube-openapi ToRESTFriendlyName). */
export function crdDefinitionName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

function ref(v: OpenAPIVersion, name: string, description: string): JSONObject {
  return v === 'v3'
    ? { allOf: [{ $ref: `#/components/schemas/${name}` }], description }
    : { $ref: `#/definitions/${name}`, description };
}

/** apiVersion and kind property schemas of TypeMeta, as every built-in kind carries them. */
function typeMetaProperty(name: 'apiVersion' | 'kind'): JSONObject {
  const ns = builtinSchemaV3('io.k8s.api.core.v1.Namespace');
  return { ...((ns?.['properties'] as JSONObject)[name] as JSONObject) };
}

function withProperties(s: JSONObject, props: JSONObject): JSONObject {
  return { ...s, properties: { ...(isObject(s['properties']) ? s['properties'] : {}), ...props } };
}

function addEmbedded(s: JSONObject, v: OpenAPIVersion): JSONObject {
  let out = mapSubschemas(s, (sub) => addEmbedded(sub, v));
  if (v === 'v2' && out['x-kubernetes-preserve-unknown-fields'] === true) return out;
  if (out['x-kubernetes-embedded-resource'] === true) {
    out = withProperties(out, {
      apiVersion: { ...typeMetaProperty('apiVersion'), description: EMBEDDED_API_VERSION },
      kind: { ...typeMetaProperty('kind'), description: EMBEDDED_KIND },
      metadata: ref(v, OBJECT_META, METADATA_DESCRIPTION),
    });
    const required = Array.isArray(out['required']) ? [...(out['required'] as string[])] : [];
    for (const r of ['kind', 'apiVersion']) if (!required.includes(r)) required.push(r);
    out['required'] = required;
  }
  return out;
}

const INT_OR_STRING = (): JSONObject[] => [{ type: 'integer' }, { type: 'string' }];
const isIntOrStringPattern = (l: unknown): boolean =>
  Array.isArray(l) && l.length === 2 && JSON.stringify(l) === JSON.stringify(INT_OR_STRING());

/** Structural.Unfold: x-kubernetes-int-or-string spelled out as anyOf integer/string. */
function unfold(s: JSONObject): JSONObject {
  const out = mapSubschemas(s, unfold);
  if (out['x-kubernetes-int-or-string'] !== true) return out;
  const allOf = Array.isArray(out['allOf']) ? (out['allOf'] as JSONObject[]) : undefined;
  if (
    isIntOrStringPattern(out['anyOf']) ||
    (allOf && isObject(allOf[0]) && isIntOrStringPattern(allOf[0]['anyOf']))
  )
    return out;
  if (out['anyOf'] === undefined) out['anyOf'] = INT_OR_STRING();
  else out['allOf'] = [{ anyOf: INT_OR_STRING() }, ...(allOf ?? [])];
  return out;
}

/** Drops what a structural schema does not carry, at every level. */
function structural(s: JSONObject): JSONObject {
  const out = mapSubschemas(s, structural);
  for (const k of NOT_STRUCTURAL) delete out[k];
  return out;
}

/**
 * Structural -> OpenAPI v2 (ToStructuralOpenAPIV2 + PruneDefaults, v1.32): no combinators, no
 * nullable, nothing under preserve-unknown-fields, no defaults. Pre-order, like the Go visitor:
 * a parent sees its children's nullable flags before they are cleared.
 */
function toV2(s: JSONObject): JSONObject {
  const out: JSONObject = { ...s };
  for (const k of ['allOf', 'oneOf', 'anyOf', 'not', 'default']) delete out[k];
  if (out['nullable'] === true) {
    for (const k of ['type', 'nullable', 'items', 'properties']) delete out[k];
  }
  delete out['nullable'];
  const preserve = out['x-kubernetes-preserve-unknown-fields'] === true;
  if (preserve) {
    delete out['items'];
    delete out['properties'];
  }
  if (out['items'] === undefined && out['type'] === 'array') delete out['type'];
  if (preserve && out['type'] === 'object') delete out['type'];
  const props = isObject(out['properties']) ? out['properties'] : undefined;
  if (props && Array.isArray(out['required'])) {
    const nullable = new Set(
      Object.keys(props).filter((k) => isObject(props[k]) && props[k]['nullable'] === true),
    );
    const kept = (out['required'] as string[]).filter((r) => !nullable.has(r));
    if (kept.length > 0) out['required'] = kept;
    else delete out['required'];
  }
  const additional = out['additionalProperties'];
  if (isObject(additional) && additional['nullable'] === true) delete out['required'];
  return mapSubschemas(out, toV2);
}

const gvkExtension = (group: string, version: string, kind: string): JSONObject[] => [
  { group, kind, version },
];

/** The kind and list definitions of one CRD version, keyed by definition name. */
export function crdDefinitions(
  row: ResourceInfo,
  schema: JSONObject | undefined,
  v: OpenAPIVersion,
): Record<string, JSONObject> {
  const { group, version } = row;
  const kindName = crdDefinitionName(group, version, row.kind);
  let kind: JSONObject;
  if (!schema || (v === 'v2' && schema['x-kubernetes-preserve-unknown-fields'] === true)) {
    kind = { type: 'object' };
  } else {
    const base = v === 'v2' ? toV2(structural(schema)) : unfold(structural(schema));
    kind = addEmbedded(
      withProperties(base, {
        metadata: ref(v, OBJECT_META, METADATA_DESCRIPTION),
        apiVersion: typeMetaProperty('apiVersion'),
        kind: typeMetaProperty('kind'),
      }),
      v,
    );
  }
  kind['x-kubernetes-group-version-kind'] = gvkExtension(group, version, row.kind);

  const itemsRef = v === 'v3' ? `#/components/schemas/${kindName}` : `#/definitions/${kindName}`;
  const list: JSONObject = {
    description: `${row.listKind} is a list of ${row.kind}`,
    properties: {
      apiVersion: typeMetaProperty('apiVersion'),
      items: {
        description: `List of ${row.resource}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
        items: { $ref: itemsRef },
        type: 'array',
      },
      kind: typeMetaProperty('kind'),
      metadata: ref(v, LIST_META, LIST_METADATA_DESCRIPTION),
    },
    required: ['items'],
    type: 'object',
    'x-kubernetes-group-version-kind': gvkExtension(group, version, row.listKind),
  };
  return { [kindName]: kind, [crdDefinitionName(group, version, row.listKind)]: list };
}
