// Prints the neutral path items of openapi-operations.ts as OpenAPI v3 or v2 (swagger) path
// items, with keys in the byte order kube-openapi's published documents use.
import parameters from './builtin-openapi/parameters.json' with { type: 'json' };
import type { Operation, PathItem } from './openapi-operations.js';
import type { JSONObject } from './schema-v2.js';

const QUERY_PARAMS = parameters as Record<string, { description: string; type: string }>;
const PRETTY = 'pretty';

export type OpenAPIVersion = 'v2' | 'v3';

const refTo = (v: OpenAPIVersion, name: string): JSONObject => ({
  $ref: v === 'v3' ? `#/components/schemas/${name}` : `#/definitions/${name}`,
});

function param(
  v: OpenAPIVersion,
  name: string,
  where: 'path' | 'query',
  description: string,
  type = 'string',
): JSONObject {
  const p: JSONObject = { description, in: where, name };
  if (where === 'path') p['required'] = true;
  if (v === 'v3') p['schema'] = { type, uniqueItems: true };
  else Object.assign(p, { type, uniqueItems: true });
  return p;
}

function queryParam(v: OpenAPIVersion, name: string): JSONObject {
  const info = QUERY_PARAMS[name] ?? { description: '', type: 'string' };
  return param(v, name, 'query', info.description, info.type);
}

function renderOperation(v: OpenAPIVersion, op: Operation): JSONObject {
  const out: JSONObject = {};
  if (v === 'v2' && op.consumes.length > 0) out['consumes'] = op.consumes;
  out['description'] = op.description;
  out['operationId'] = op.operationId;
  const params: JSONObject[] = [];
  if (v === 'v2' && op.body) {
    const body: JSONObject = { in: 'body', name: 'body', schema: refTo(v, op.body.definition) };
    if (op.body.required) body['required'] = true;
    params.push(body);
  }
  for (const q of op.query) params.push(queryParam(v, q));
  if (params.length > 0) out['parameters'] = params;
  if (v === 'v2') out['produces'] = op.produces;
  if (v === 'v3' && op.body) {
    const content: JSONObject = {};
    for (const ct of [...op.consumes].sort()) content[ct] = { schema: refTo(v, op.body.definition) };
    out['requestBody'] = op.body.required ? { content, required: true } : { content };
  }
  const responses: JSONObject = {};
  for (const r of op.responses) {
    if (!r.definition) {
      responses[r.code] = { description: r.description };
    } else if (v === 'v3') {
      const content: JSONObject = {};
      for (const ct of [...op.produces].sort()) content[ct] = { schema: refTo(v, r.definition) };
      responses[r.code] = { content, description: r.description };
    } else {
      responses[r.code] = { description: r.description, schema: refTo(v, r.definition) };
    }
  }
  out['responses'] = responses;
  if (v === 'v2') out['schemes'] = ['https'];
  out['tags'] = [op.tag];
  out['x-kubernetes-action'] = op.action;
  out['x-kubernetes-group-version-kind'] = {
    group: op.gvk.group,
    kind: op.gvk.kind,
    version: op.gvk.version,
  };
  return out;
}

export function renderPathItem(v: OpenAPIVersion, item: PathItem): JSONObject {
  const out: JSONObject = {};
  const ops = [...item.operations].sort((a, b) => (a.method < b.method ? -1 : 1));
  for (const op of ops) out[op.method] = renderOperation(v, op);
  const params = [
    ...item.pathParams.map((p) => param(v, p.name, 'path', p.description)),
    queryParam(v, PRETTY),
  ].sort((a, b) => ((a['name'] as string) < (b['name'] as string) ? -1 : 1));
  out['parameters'] = params;
  // Keys in byte order: methods (delete, get, patch, post, put) then "parameters" sorts between.
  const sorted: JSONObject = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k];
  return sorted;
}

export const BEARER_TOKEN = {
  BearerToken: {
    description: 'Bearer Token authentication',
    in: 'header',
    name: 'authorization',
    type: 'apiKey',
  },
};
