// Discovery and OpenAPI for a tenant, generated from its resource table.
export { type DiscoveryTable } from './table.js';
export { serveDiscovery } from './serve-discovery.js';
export { serveOpenAPI } from './serve-openapi.js';
