// Strategic merge patch and server-side apply of built-in virtual kinds (RBAC, admission...) read their OpenAPI definition
// (list types, merge keys), as the apiserver's typed field manager does.
import {
  builtinDefinitionFor,
  builtinSchemaV3,
  referencedDefinitions,
} from '../discovery/builtin-schemas.js';
import { schemaNodeFromOpenAPIV3, type SchemaNode } from '../patch/index.js';

const cache = new Map<string, SchemaNode | undefined>();

export function builtinPatchSchema(group: string, version: string, kind: string): SchemaNode | undefined {
  const key = `${group}/${version}/${kind}`;
  if (!cache.has(key)) {
    const name = builtinDefinitionFor(group, version, kind);
    const root = name ? builtinSchemaV3(name) : undefined;
    let node: SchemaNode | undefined;
    if (root) {
      const definitions: Record<string, unknown> = {};
      for (const d of referencedDefinitions([root], builtinSchemaV3)) definitions[d] = builtinSchemaV3(d);
      node = schemaNodeFromOpenAPIV3(root, { definitions });
    }
    cache.set(key, node);
  }
  return cache.get(key);
}
