// Rewriting between a tenant's view and the host: namespaces, selectors, messages, continue tokens.
export { NamespaceMap, unownedName } from './namespace-map.js';
export { bodyToVirtual, objectToHost, objectToVirtual, textToVirtual } from './object-rewrite.js';
export { ContinueSealer, type PassthroughContinue } from './continue-token.js';
export { fieldSelectorToHost, queryToHost } from './query-rewrite.js';
