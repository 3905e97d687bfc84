import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceInfo } from '../../../src/resources/types.js';
import { serveOpenAPI } from '../../../src/discovery/serve-openapi.js';
import type { DiscoveryTable } from '../../../src/discovery/table.js';
import { cronTabRows, cronTabSchema, tenantTable } from './fixtures.js';
import { get, parsedURL, startServer, type TestServer } from './http.js';

type Json = Record<string, any>;
let table: DiscoveryTable = tenantTable(cronTabRows());
let schema: Json = cronTabSchema;
const schemaFor = (row: ResourceInfo): Json | undefined => (row.kind === 'CronTab' ? schema : undefined);
let server: TestServer;

beforeAll(async () => {
  server = await startServer((req, res) => serveOpenAPI(req, res, table, schemaFor, parsedURL(req)));
});
afterAll(() => server.close());

/** Every $ref in `doc` names a definition the document itself carries. */
function danglingRefs(doc: Json, prefix: string, defs: Json): string[] {
  const missing = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string') {
          if (!x.startsWith(prefix) || !(x.slice(prefix.length) in defs)) missing.add(x);
        } else walk(x);
      }
    }
  };
  walk(doc);
  return [...missing];
}

async function index(): Promise<Record<string, { serverRelativeURL: string }>> {
  return (await get(`${server.url}/openapi/v3`)).json().paths;
}

describe('OpenAPI v3', () => {
  it('indexes every served group/version, and the discovery paths of built-in groups, with a hash that is the document ETag', async () => {
    const paths = await index();
    expect(Object.keys(paths)).toEqual([
      'api',
      'api/v1',
      'apis',
      'apis/apiextensions.k8s.io',
      'apis/apiextensions.k8s.io/v1',
      'apis/apps',
      'apis/apps/v1',
      'apis/autoscaling',
      'apis/autoscaling/v1',
      'apis/autoscaling/v2',
      'apis/rbac.authorization.k8s.io',
      'apis/rbac.authorization.k8s.io/v1',
      'apis/stable.example.com/v1',
      'apis/stable.example.com/v1beta1',
      'version',
    ]);
    const url = paths['apis/stable.example.com/v1']!.serverRelativeURL;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/stable\.example\.com\/v1\?hash=[0-9A-F]{128}$/);
    const r = await get(`${server.url}${url}`, { Accept: 'application/json' });
    expect(r.status).toBe(200);
    expect(r.headers.get('etag')).toBe(`"${url.split('hash=')[1]}"`);
    expect(r.headers.get('cache-control')).toBe('public, immutable');
  });

  it('redirects a stale hash to the current document and answers 304 to a matching ETag', async () => {
    const r = await get(`${server.url}/openapi/v3/apis/apps/v1?hash=ABC`);
    expect(r.status).toBe(301);
    const current = (await index())['apis/apps/v1']!.serverRelativeURL;
    expect(r.headers.get('location')).toBe(current);
    const etag = (await get(`${server.url}${current}`)).headers.get('etag') as string;
    expect((await get(`${server.url}${current}`, { 'If-None-Match': etag })).status).toBe(304);
  });

  it('changes the hash of a CRD group/version, and only that one, when its schema changes', async () => {
    const before = await index();
    const previous = { table, schema };
    schema = { ...cronTabSchema, properties: { ...cronTabSchema.properties, extra: { type: 'string' } } };
    table = tenantTable(cronTabRows(), 2);
    try {
      const after = await index();
      expect(after['apis/stable.example.com/v1']).not.toEqual(before['apis/stable.example.com/v1']);
      expect(after['apis/apps/v1']).toEqual(before['apis/apps/v1']);
      expect(after['api/v1']).toEqual(before['api/v1']);
    } finally {
      ({ table, schema } = previous);
    }
  });

  it('publishes a CRD schema kubectl explain can walk: spec fields, ObjectMeta and the GVK', async () => {
    const doc = (await get(`${server.url}/openapi/v3/apis/stable.example.com/v1`)).json();
    const schemas = doc.components.schemas;
    const kind = schemas['com.example.stable.v1.CronTab'];
    expect(kind['x-kubernetes-group-version-kind']).toEqual([
      { group: 'stable.example.com', kind: 'CronTab', version: 'v1' },
    ]);
    expect(kind.properties.spec.properties.cronSpec).toMatchObject({
      type: 'string',
      description: 'When to run.',
    });
    expect(kind.properties.spec.required).toEqual(['cronSpec']); // value validations stay in v3
    expect(kind.properties.metadata.allOf).toEqual([
      { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
    ]);
    expect(kind.properties.apiVersion.type).toBe('string');
    expect(kind.properties.spec.properties.template.required).toEqual(['kind', 'apiVersion']);
    expect(kind.properties.spec.properties.port.anyOf).toEqual([{ type: 'integer' }, { type: 'string' }]);
    expect(schemas['com.example.stable.v1.CronTabList']['x-kubernetes-group-version-kind'][0].kind).toBe(
      'CronTabList',
    );
    expect(danglingRefs(doc, '#/components/schemas/', schemas)).toEqual([]);
    expect(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry']).toBeDefined();
  });

  it('documents fieldValidation on PATCH of each kind, which kubectl checks before validating client-side', async () => {
    const doc = (await get(`${server.url}/openapi/v3/apis/stable.example.com/v1`)).json();
    const item = doc.paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}'];
    expect(item.patch['x-kubernetes-group-version-kind']).toEqual({
      group: 'stable.example.com',
      kind: 'CronTab',
      version: 'v1',
    });
    expect(item.patch.parameters.map((p: Json) => p.name)).toContain('fieldValidation');
    expect(item.patch.parameters.find((p: Json) => p.name === 'fieldValidation').in).toBe('query');
    expect(Object.keys(item.patch.requestBody.content)).toContain('application/apply-patch+yaml');
    expect(
      doc.paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}/scale'].get.responses[
        '200'
      ].content['application/json'].schema,
    ).toEqual({ $ref: '#/components/schemas/io.k8s.api.autoscaling.v1.Scale' });
    expect(doc.paths['/apis/stable.example.com/v1/crontabs'].get.operationId).toBe(
      'listStableExampleComV1CronTabForAllNamespaces',
    );
  });

  it('serves built-in kinds from the upstream schemas, with their subresource paths', async () => {
    const doc = (await get(`${server.url}/openapi/v3/api/v1`)).json();
    const schemas = doc.components.schemas;
    expect(schemas['io.k8s.api.core.v1.Namespace']['x-kubernetes-group-version-kind']).toEqual([
      { group: '', kind: 'Namespace', version: 'v1' },
    ]);
    expect(schemas['io.k8s.api.core.v1.PodSpec'].properties.containers).toBeDefined();
    expect(doc.paths['/api/v1/namespaces/{name}/finalize'].put.operationId).toBe(
      'replaceCoreV1NamespaceFinalize',
    );
    expect(
      doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post[
        'x-kubernetes-group-version-kind'
      ],
    ).toEqual({ group: 'policy', kind: 'Eviction', version: 'v1' });
    expect(doc.paths['/api/v1/componentstatuses']).toBeUndefined(); // refused
    expect(danglingRefs(doc, '#/components/schemas/', schemas)).toEqual([]);
    const rbac = (await get(`${server.url}/openapi/v3/apis/rbac.authorization.k8s.io/v1`)).json();
    expect(rbac.paths['/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}'].patch.operationId).toBe(
      'patchRbacAuthorizationV1ClusterRole',
    );
    expect(danglingRefs(rbac, '#/components/schemas/', rbac.components.schemas)).toEqual([]);
  });

  it('answers 404 for a group/version the tenant does not serve', async () => {
    expect((await get(`${server.url}/openapi/v3/apis/batch/v1`)).status).toBe(404);
  });
});

describe('OpenAPI v2', () => {
  it('serves JSON with built-in and CRD definitions, every reference resolved', async () => {
    const r = await get(`${server.url}/openapi/v2`, { Accept: 'application/json' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    const doc = r.json();
    expect(doc.swagger).toBe('2.0');
    expect(danglingRefs(doc, '#/definitions/', doc.definitions)).toEqual([]);
    expect(
      doc.definitions['io.k8s.api.rbac.v1.ClusterRole']['x-kubernetes-group-version-kind'],
    ).toBeDefined();
    expect(doc.definitions['io.k8s.api.core.v1.Namespace'].properties.metadata).toEqual({
      $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      description: expect.any(String),
    });
    const patch = doc.paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}'].patch;
    expect(patch.parameters.map((p: Json) => p.name)).toEqual([
      'body',
      'dryRun',
      'fieldManager',
      'fieldValidation',
      'force',
    ]);
  });

  it('publishes the CRD schema in v2 as the CRD states it, minus what swagger 2.0 can not express', async () => {
    const doc = (await get(`${server.url}/openapi/v2`)).json();
    const kind = doc.definitions['com.example.stable.v1.CronTab'];
    const spec = kind.properties.spec;
    // value validations stay (conformance compares the published schema with the CRD's)
    expect(spec.required).toEqual(['cronSpec']);
    expect(spec.properties.cronSpec.pattern).toBe(cronTabSchema.properties.spec.properties.cronSpec.pattern);
    expect(spec.properties.replicas).toEqual({ type: 'integer', minimum: 1, maximum: 10 });
    expect(spec.properties.port).toEqual({ 'x-kubernetes-int-or-string': true }); // no anyOf in v2
    expect(spec.properties.template).toEqual({
      'x-kubernetes-embedded-resource': true,
      'x-kubernetes-preserve-unknown-fields': true,
    });
    expect(spec.properties.nickname).toEqual({ description: 'May be null.' }); // nullable: untyped
    expect(spec.properties.tags).toEqual({ items: { type: 'string' }, type: 'array' });
    expect(spec.properties.schedule).toEqual({ type: 'string' }); // default pruned
    // what remains after dropping what the apiserver adds is the CRD's own schema
    const { metadata, apiVersion, kind: kindProp, ...own } = kind.properties;
    expect([metadata.$ref, apiVersion.type, kindProp.type]).toEqual([
      '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      'string',
      'string',
    ]);
    expect(own.status).toEqual(cronTabSchema.properties.status);
  });

  it('answers a protobuf Accept (what client-go OpenAPISchema sends) with protobuf, first clause first, else 406', async () => {
    const pb = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
    const type = async (accept: string) => {
      const r = await get(`${server.url}/openapi/v2`, { Accept: accept });
      return r.status === 200 ? r.headers.get('content-type') : r.status;
    };
    expect(await type(pb)).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    expect(await type(`${pb}, application/json;q=0.9`)).toBe(
      'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
    );
    expect(await type(`application/json, ${pb}`)).toBe('application/json');
    expect(await type('application/yaml')).toBe(406);
  });

  it('answers 304 to a matching ETag', async () => {
    const etag = (await get(`${server.url}/openapi/v2`)).headers.get('etag') as string;
    expect((await get(`${server.url}/openapi/v2`, { 'If-None-Match': etag })).status).toBe(304);
  });
});
