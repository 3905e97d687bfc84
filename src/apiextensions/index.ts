// Public API of kplex's apiextensions: CRDs and custom resources as apiextensions-apiserver v1.32.
export type { CustomResourceDefinition } from './crd-types.js';
export { validateAnnotations } from './metadata-validation.js';
export { applyDefaults, hasDefaults } from './defaulting.js';
export { pruneObject } from './pruning.js';
export { strictDecodingError, unknownFieldWarnings } from './strict-field-validation.js';
export { validateCustomResourceDefinition } from './crd-validation.js';
export { crdStrategy, setCondition as setCRDCondition } from './crd-strategy.js';
export { crdResourceInfos } from './crd-resource-info.js';
export { customResourceStrategy, defaultCustomResource } from './custom-resource-strategy.js';
export { printerCells, findResults, humanDuration } from './printer-columns.js';
