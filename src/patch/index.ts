// The patch and field-management engine: pure functions, no I/O.
export type { SchemaNode } from './types.js';
export { jsonPatch } from './json-patch.js';
export { mergePatch } from './merge-patch.js';
export { strategicMergePatch } from './strategic-merge-patch.js';
export { serverSideApply, updateManagedFields } from './field-manager.js';
export { defaultFieldManager } from './default-manager.js';
export { schemaNodeFromOpenAPIV3 } from './openapi-schema.js';
export { withObjectMeta } from './object-meta-schema.js';
export { FieldSet, pathToString, type Path } from './fieldpath.js';
