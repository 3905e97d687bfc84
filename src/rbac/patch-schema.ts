// Server-side apply and strategic merge patch of the RBAC kinds read their built-in OpenAPI
// schema (list types and merge keys), as the apiserver's typed field manager does.
import {
  builtinDefinitionFor,
  builtinSchemaV3,
  referencedDefinitions,
} from '../discovery/builtin-schemas.js';
import { schemaNodeFromOpenAPIV3, type SchemaNode } from '../patch/index.js';
import { RBAC_GROUP } from './types.js';

const cache = new Map<string, SchemaNode | undefined>();

export function rbacPatchSchema(kind: string): SchemaNode | undefined {
  if (!cache.has(kind)) {
    const name = builtinDefinitionFor(RBAC_GROUP, 'v1', kind);
    const root = name ? builtinSchemaV3(name) : undefined;
    let node: SchemaNode | undefined;
    if (root) {
      const definitions: Record<string, unknown> = {};
      for (const d of referencedDefinitions([root], builtinSchemaV3)) definitions[d] = builtinSchemaV3(d);
      node = schemaNodeFromOpenAPIV3(root, { definitions });
    }
    cache.set(kind, node);
  }
  return cache.get(kind);
}
