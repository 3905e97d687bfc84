// The schema of the fields every object has (apiVersion, kind, metadata) as the apiserver's OpenAPI
// gives them (io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta, v1.32). CRD schemas only declare
// `metadata: {type: object}`; the apiserver substitutes ObjectMeta, and so does the engine.
import type { SchemaNode } from './types.js';

const str: SchemaNode = { type: 'string' };
const int: SchemaNode = { type: 'integer' };
const stringMap: SchemaNode = { type: 'object', additionalProperties: { type: 'string' } };

const ownerReference: SchemaNode = {
  type: 'object',
  mapType: 'atomic',
  properties: {
    apiVersion: str,
    kind: str,
    name: str,
    uid: str,
    controller: { type: 'boolean' },
    blockOwnerDeletion: { type: 'boolean' },
  },
};

export const objectMetaSchema: SchemaNode = {
  type: 'object',
  properties: {
    name: str,
    generateName: str,
    namespace: str,
    selfLink: str,
    uid: str,
    resourceVersion: str,
    generation: int,
    creationTimestamp: str,
    deletionTimestamp: str,
    deletionGracePeriodSeconds: int,
    labels: stringMap,
    annotations: stringMap,
    ownerReferences: {
      type: 'array',
      items: ownerReference,
      listType: 'map',
      listMapKeys: ['uid'],
      patchStrategy: 'merge',
      patchMergeKey: 'uid',
    },
    finalizers: { type: 'array', items: str, listType: 'set', patchStrategy: 'merge' },
    managedFields: {
      type: 'array',
      items: { type: 'object', preserveUnknownFields: true },
      listType: 'atomic',
    },
  },
};

const rootCache = new WeakMap<SchemaNode, SchemaNode>();
/** Root used when no schema is known: any field, maps granular, lists atomic. */
const untypedRoot: SchemaNode = { type: 'object' };

/** The root schema with apiVersion, kind and metadata as the apiserver types them. */
export function withObjectMeta(schema: SchemaNode | undefined): SchemaNode {
  const base = schema ?? untypedRoot;
  let out = rootCache.get(base);
  if (!out) {
    out = {
      ...base,
      type: 'object',
      properties: { ...(base.properties ?? {}), apiVersion: str, kind: str, metadata: objectMetaSchema },
    };
    // A root without declared fields accepts any field (an object with no properties is free-form).
    if (!base.properties && base.additionalProperties === undefined) out.additionalProperties = true;
    rootCache.set(base, out);
  }
  return out;
}
