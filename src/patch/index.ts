// The patch and field-management engine: pure functions, no I/O.
export type { PatchType, SchemaNode, ApplyResult, ApplyConflict } from './types.js';
export { jsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch.js';
export { mergePatch } from './merge-patch.js';
export { strategicMergePatch } from './strategic-merge-patch.js';
export {
  serverSideApply,
  updateManagedFields,
  LAST_APPLIED_ANNOTATION,
  type ApplyOptions,
  type UpdateOptions,
} from './field-manager.js';
export { defaultFieldManager, managerOrUserAgent, FIELD_MANAGER_MAX_LENGTH } from './default-manager.js';
export { schemaNodeFromOpenAPIV3, type OpenAPIConversionOptions } from './openapi-schema.js';
export { objectMetaSchema, withObjectMeta } from './object-meta-schema.js';
export { FieldSet, pathToString, type Path, type PathElement } from './fieldpath.js';
export { decodeManagedFields, encodeManagedFields, type ManagedFieldsEntry } from './managed-fields.js';
