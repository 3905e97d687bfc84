// Server-side apply and strategic merge patch of the RBAC kinds read their built-in OpenAPI
// schema (list types and merge keys), as the apiserver's typed field manager does.
import { builtinPatchSchema } from '../registry/builtin-patch-schema.js';
import type { SchemaNode } from '../patch/index.js';
import { RBAC_GROUP } from './types.js';

export const rbacPatchSchema = (kind: string): SchemaNode | undefined =>
  builtinPatchSchema(RBAC_GROUP, 'v1', kind);
