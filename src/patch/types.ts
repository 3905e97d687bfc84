// Contract between the generic handlers and the patch/apply engine (src/patch/).
/**
 * What the engine knows of a resource's schema: enough for strategic merge (list merge keys)
 * and server-side apply (list types, map keys, atomic fields). Built from CRD schemas
 * (x-kubernetes-list-type, -list-map-keys, -map-type) or from the built-in kinds' definitions.
 */
export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  /** atomic | set | map (SSA) — default for arrays: atomic. */
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  /** granular | atomic (SSA) — default for objects: granular. */
  mapType?: 'granular' | 'atomic';
  /** Strategic merge: patchStrategy/patchMergeKey of built-in types. */
  patchStrategy?: string;
  patchMergeKey?: string;
  preserveUnknownFields?: boolean;
  intOrString?: boolean;
  /** Default value (SSA uses the defaults of list-map key fields). */
  default?: unknown;
}
