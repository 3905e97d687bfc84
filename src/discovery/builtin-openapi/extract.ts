// Regenerates the built-in OpenAPI data under this folder from the spec files of Kubernetes
// v1.32.5 (swagger.json and v3/*.json, named as in k8s.io/kubernetes/api/openapi-spec), keeping
// only the generally-available group/versions. Run once after a Kubernetes bump. The files checked
// into k8s.io/kubernetes lack the enums a running apiserver serves (52 in api/v1): take them from
// a local host (`npm run host:up`): /openapi/v2 as swagger.json, /openapi/v3/<path> as
// v3/<path with / as __>_openapi.json (api__v1_openapi.json, apis__apps_openapi.json, ...).
//
//   node_modules/.bin/tsx src/discovery/builtin-openapi/extract.ts <that dir>
//
// Outputs (committed as data, read at runtime by ../builtin-schemas.ts and ../builtin-subresources.ts):
//   schemas-v3.json   definition name -> OpenAPI v3 schema (union of components.schemas)
//   v2-overrides.json definitions whose swagger.json form differs from v3SchemaToV2(v3 form)
//   subresources.json group/version -> resource -> subresources as discovery lists them
//   parameters.json   query parameter name -> {description, type} as the apiserver documents it
//   v3-roots.json     the v3 documents of /api, /apis, /apis/<group> (GA groups) and /version
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isObject } from '../../api/object.js';
import { type JSONObject, sortKeys, v3SchemaToV2 } from '../schema-v2.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`Usage: npx tsx src/discovery/builtin-openapi/extract.ts <openapi-spec dir>

Dev-time: regenerates the built-in OpenAPI data in this folder from Kubernetes' api/openapi-spec
(swagger.json and v3/*.json), keeping the generally-available group/versions.`);
  process.exit(0);
}

const specDir = process.argv[2];
if (!specDir) throw new Error('usage: extract.ts <k8s.io/kubernetes/api/openapi-spec dir>');
const outDir = fileURLToPath(new URL('.', import.meta.url));
const GA = /^v\d+$/;
// Served only behind feature gates that are off by default in v1.32 (storage_core.go).
const GATED_OFF = new Set(['v1/pods/resize']);

const readJSON = (p: string): JSONObject => JSON.parse(readFileSync(p, 'utf8')) as JSONObject;

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => (isObject(val) ? sortKeys(val) : val));
}

// --- schemas ---------------------------------------------------------------------------------
const schemas: Record<string, JSONObject> = {};
for (const file of readdirSync(join(specDir, 'v3')).sort()) {
  const m = /^apis?__(?:(.+)__)?(v[^_]+)_openapi\.json$/.exec(file);
  if (!m || !GA.test(m[2] ?? '')) continue;
  const doc = readJSON(join(specDir, 'v3', file));
  const comps = (doc['components'] as JSONObject | undefined)?.['schemas'] as
    Record<string, JSONObject> | undefined;
  for (const [name, schema] of Object.entries(comps ?? {})) schemas[name] = schema;
}
const sortedSchemas: Record<string, JSONObject> = {};
for (const name of Object.keys(schemas).sort()) sortedSchemas[name] = schemas[name] as JSONObject;

const swagger = readJSON(join(specDir, 'swagger.json'));
const v2defs = swagger['definitions'] as Record<string, JSONObject>;
const overrides: Record<string, JSONObject> = {};
for (const [name, schema] of Object.entries(sortedSchemas)) {
  const v2 = v2defs[name];
  if (v2 && canonical(v3SchemaToV2(schema)) !== canonical(v2)) overrides[name] = v2;
}

// --- subresources, from the swagger paths ------------------------------------------------------
interface Subresource {
  name: string;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
}
const actionVerb: Record<string, string> = {
  get: 'get',
  put: 'update',
  patch: 'patch',
  post: 'create',
  delete: 'delete',
};
const connectVerb: Record<string, string> = {
  get: 'get',
  post: 'create',
  put: 'update',
  patch: 'patch',
  delete: 'delete',
};
const subresources: Record<string, Record<string, Subresource[]>> = {};
const PATH =
  /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/\{namespace\})?\/([^/{]+)\/\{name\}\/([^/{]+)$/;
for (const [path, item] of Object.entries(swagger['paths'] as Record<string, JSONObject>)) {
  const m = PATH.exec(path);
  if (!m) continue;
  const group = m[2] ?? '';
  const version = m[1] ?? m[3] ?? '';
  if (!GA.test(version)) continue;
  const gv = group ? `${group}/${version}` : version;
  const [resource, sub] = [m[4] as string, m[5] as string];
  let kind: { group: string; version: string; kind: string } | undefined;
  const verbs = new Set<string>();
  for (const [method, op] of Object.entries(item)) {
    if (!isObject(op) || method === 'parameters') continue;
    const action = op['x-kubernetes-action'] as string;
    const verb = action === 'connect' ? connectVerb[method] : actionVerb[action];
    if (verb) verbs.add(verb);
    kind ??= op['x-kubernetes-group-version-kind'] as typeof kind;
  }
  if (!kind || GATED_OFF.has(`${gv}/${resource}/${sub}`)) continue;
  const entry: Subresource = { name: sub, kind: kind.kind, verbs: [...verbs].sort() };
  if (kind.group !== group || kind.version !== version)
    Object.assign(entry, { group: kind.group, version: kind.version });
  const byResource = (subresources[gv] ??= {});
  (byResource[resource] ??= []).push(entry);
}
for (const byResource of Object.values(subresources)) {
  for (const list of Object.values(byResource)) list.sort((a, b) => (a.name < b.name ? -1 : 1));
}

// --- query parameters ----------------------------------------------------------------------------
const parameters: Record<string, { description: string; type: string }> = {};
const coreV3 = readJSON(join(specDir, 'v3', 'api__v1_openapi.json'));
for (const item of Object.values(coreV3['paths'] as Record<string, JSONObject>)) {
  const lists = [
    item['parameters'],
    ...Object.values(item).map((op) => (isObject(op) ? op['parameters'] : undefined)),
  ];
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const p of list as JSONObject[]) {
      const name = p['name'] as string;
      if (p['in'] !== 'query' || parameters[name]) continue;
      parameters[name] = {
        description: p['description'] as string,
        type: (p['schema'] as JSONObject)['type'] as string,
      };
    }
  }
}

// --- the documents of discovery paths ------------------------------------------------------------
const gaGroups = new Set<string>();
for (const file of readdirSync(join(specDir, 'v3'))) {
  const m = /^apis__(.+)__(v[^_]+)_openapi\.json$/.exec(file);
  if (m && GA.test(m[2] ?? '')) gaGroups.add(m[1] ?? '');
}
const roots: Record<string, JSONObject> = {};
for (const file of readdirSync(join(specDir, 'v3')).sort()) {
  const m = /^(api|apis|version|apis__([^_]+))_openapi\.json$/.exec(file);
  if (!m || (m[2] !== undefined && !gaGroups.has(m[2]))) continue;
  roots[m[2] === undefined ? (m[1] ?? '') : `apis/${m[2]}`] = readJSON(join(specDir, 'v3', file));
}

const write = (name: string, data: unknown): void =>
  writeFileSync(join(outDir, name), JSON.stringify(data) + '\n');
write('schemas-v3.json', sortedSchemas);
write('v2-overrides.json', overrides);
write('subresources.json', subresources);
write('parameters.json', sortKeys(parameters));
write('v3-roots.json', roots);
console.log(
  `schemas: ${Object.keys(sortedSchemas).length}, v2 overrides: ${Object.keys(overrides).length}, ` +
    `subresource groups: ${Object.keys(subresources).length}, parameters: ${Object.keys(parameters).length}`,
);
