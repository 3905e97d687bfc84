// Discovery and OpenAPI for a tenant, generated from its resource table.
export { type DiscoveryTable } from './table.js';
export { type DiscoveryOptions, serveDiscovery } from './serve-discovery.js';
export { type ServeOpenAPIOptions, serveOpenAPI } from './serve-openapi.js';
export { type SchemaFor, crdDefinitionName } from './crd-openapi.js';
export { type DiscoveryDocuments, discoveryDocuments } from './discovery-documents.js';
export { type OpenAPIDocuments, openAPIDocuments } from './openapi-documents.js';
export { storageVersionHash } from './storage-version-hash.js';
