import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoveryDocuments } from '../../../src/discovery/discovery-documents.js';
import { serveDiscovery } from '../../../src/discovery/serve-discovery.js';
import type { DiscoveryTable } from '../../../src/discovery/table.js';
import { cronTabRows, tenantTable, widgetRows } from './fixtures.js';
import { get, parsedURL, startServer, type TestServer } from './http.js';

const V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';
/** What client-go 1.32's discovery client sends. */
const CLIENT_GO_ACCEPT = `${V2},${V2BETA1},application/json`;

let table: DiscoveryTable = tenantTable(cronTabRows());
let server: TestServer;

beforeAll(async () => {
  server = await startServer((req, res) =>
    serveDiscovery(req, res, table, { ...parsedURL(req), serverAddress: '10.0.0.1:6443' }),
  );
});
afterAll(() => server.close());

describe('legacy discovery', () => {
  it('/api lists v1 with the server address for every client CIDR', async () => {
    const r = await get(`${server.url}/api`, { Accept: 'application/json' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.text).toBe(
      '{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"10.0.0.1:6443"}]}\n',
    );
  });

  it('/api/v1 lists resources with subresources, verbs, short names and storage version hashes', async () => {
    const list = (await get(`${server.url}/api/v1`)).json();
    expect(list.kind).toBe('APIResourceList');
    expect(list.apiVersion).toBeUndefined(); // the core list is served unversioned
    const names = list.resources.map((r: { name: string }) => r.name);
    expect(names).toContain('namespaces/finalize');
    expect(names).not.toContain('componentstatuses'); // refused rows are not discoverable
    expect(names.indexOf('namespaces')).toBe(names.indexOf('namespaces/finalize') - 1);
    const ns = list.resources.find((r: { name: string }) => r.name === 'namespaces');
    expect(ns).toEqual({
      name: 'namespaces',
      singularName: 'namespace',
      namespaced: false,
      kind: 'Namespace',
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['ns'],
      storageVersionHash: 'Q3oi5N2YM8M=',
    });
    expect(list.resources.find((r: { name: string }) => r.name === 'namespaces/status')).toEqual({
      name: 'namespaces/status',
      singularName: '',
      namespaced: false,
      kind: 'Namespace',
      verbs: ['get', 'patch', 'update'],
    });
    // a read-only view does not advertise a writable status
    expect(list.resources.find((r: { name: string }) => r.name === 'nodes/status').verbs).toEqual(['get']);
    expect(list.resources.find((r: { name: string }) => r.name === 'pods/eviction')).toMatchObject({
      group: 'policy',
      version: 'v1',
      kind: 'Eviction',
      verbs: ['create'],
    });
  });

  it('/apis orders groups by priority and puts the preferred version first', async () => {
    const list = (await get(`${server.url}/apis`)).json();
    expect(list).toMatchObject({ kind: 'APIGroupList', apiVersion: 'v1' });
    expect(list.groups.map((g: { name: string }) => g.name)).toEqual([
      'apps',
      'autoscaling',
      'rbac.authorization.k8s.io',
      'apiextensions.k8s.io',
      'stable.example.com',
    ]);
    const autoscaling = list.groups[1];
    expect(autoscaling.versions.map((v: { version: string }) => v.version)).toEqual(['v2', 'v1']);
    expect(autoscaling.preferredVersion).toEqual({ groupVersion: 'autoscaling/v2', version: 'v2' });
    expect(list.groups[4].preferredVersion.version).toBe('v1'); // GA before beta for CRDs too
  });

  it('/apis/<group> and /apis/<group>/<version> describe one group and one version', async () => {
    const group = (await get(`${server.url}/apis/stable.example.com`)).json();
    expect(group).toMatchObject({ kind: 'APIGroup', apiVersion: 'v1', name: 'stable.example.com' });
    const list = (await get(`${server.url}/apis/stable.example.com/v1`)).json();
    expect(list).toMatchObject({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'stable.example.com/v1',
    });
    expect(list.resources).toEqual([
      {
        name: 'crontabs',
        singularName: 'crontab',
        namespaced: true,
        kind: 'CronTab',
        verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
        shortNames: ['ct'],
        categories: ['all'],
        // the hash names the storage version (v1) for every served version
        storageVersionHash: 'EdX2FP+L0js=',
      },
      {
        name: 'crontabs/status',
        singularName: '',
        namespaced: true,
        kind: 'CronTab',
        verbs: ['get', 'patch', 'update'],
      },
      {
        name: 'crontabs/scale',
        singularName: '',
        namespaced: true,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: ['get', 'patch', 'update'],
      },
    ]);
    const beta = (await get(`${server.url}/apis/stable.example.com/v1beta1`)).json();
    expect(beta.resources[0].storageVersionHash).toBe('EdX2FP+L0js=');
  });

  it('does not answer unknown groups, versions or other paths', async () => {
    for (const path of ['/apis/nope', '/apis/apps/v2', '/api/v2', '/apis/apps/v1/deployments', '/healthz']) {
      expect((await get(`${server.url}${path}`)).text, path).toBe('not served\n');
    }
  });

  it('answers 406 with a Status when no acceptable media type is asked for', async () => {
    const r = await get(`${server.url}/apis/apps/v1`, { Accept: 'application/vnd.kubernetes.protobuf' });
    expect(r.status).toBe(406);
    expect(r.json()).toMatchObject({ kind: 'Status', reason: 'NotAcceptable', code: 406 });
  });

  it('pretty-prints for curl', async () => {
    const r = await get(`${server.url}/apis/apps`, { 'User-Agent': 'curl/8.0' });
    expect(r.text.startsWith('{\n  "kind": "APIGroup"')).toBe(true);
  });
});

describe('aggregated discovery', () => {
  it('lists every resource under its group/version with scope, verbs and subresources', async () => {
    const r = await get(`${server.url}/apis`, { Accept: CLIENT_GO_ACCEPT });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(V2);
    expect(r.headers.get('vary')).toBe('Accept');
    const doc = r.json();
    expect(doc).toMatchObject({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2' });
    const find = (group: string, version: string, resource: string) =>
      doc.items
        .find((g: any) => g.metadata.name === group)
        ?.versions.find((v: any) => v.version === version)
        ?.resources.find((x: any) => x.resource === resource);
    expect(find('apps', 'v1', 'deployments')).toMatchObject({
      responseKind: { group: '', version: '', kind: 'Deployment' },
      scope: 'Namespaced',
      singularResource: 'deployment',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['deploy'],
      categories: ['all'],
      subresources: [
        {
          subresource: 'scale',
          responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
          verbs: ['get', 'patch', 'update'],
        },
        {
          subresource: 'status',
          responseKind: { group: '', version: '', kind: 'Deployment' },
          verbs: ['get', 'patch', 'update'],
        },
      ],
    });
    expect(find('rbac.authorization.k8s.io', 'v1', 'clusterroles').scope).toBe('Cluster');
    expect(find('stable.example.com', 'v1', 'crontabs')).toMatchObject({
      responseKind: { group: 'stable.example.com', version: 'v1', kind: 'CronTab' },
      subresources: [
        {
          subresource: 'status',
          responseKind: { group: 'stable.example.com', version: 'v1', kind: 'CronTab' },
        },
        { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' } },
      ],
    });
    expect(doc.items.every((g: any) => g.versions.every((v: any) => v.freshness === 'Current'))).toBe(true);
    expect(
      doc.items.find((g: any) => g.metadata.name === 'autoscaling').versions.map((v: any) => v.version),
    ).toEqual(['v2', 'v1']);
  });

  it('/api holds the core group only, without a name', async () => {
    const doc = (await get(`${server.url}/api`, { Accept: V2 })).json();
    expect(doc.items).toHaveLength(1);
    expect(doc.items[0].metadata).toEqual({ creationTimestamp: null });
    const ns = doc.items[0].versions[0].resources.find((r: any) => r.resource === 'namespaces');
    expect(ns.subresources.map((s: any) => s.subresource)).toEqual(['finalize', 'status']);
  });

  it('serves v2beta1 with its own content type', async () => {
    const r = await get(`${server.url}/apis`, { Accept: `${V2BETA1},application/json` });
    expect(r.headers.get('content-type')).toBe(V2BETA1);
    expect(r.json().apiVersion).toBe('apidiscovery.k8s.io/v2beta1');
  });

  it('falls back to the legacy document for a plain JSON Accept', async () => {
    const r = await get(`${server.url}/apis`, { Accept: 'application/json' });
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.json().kind).toBe('APIGroupList');
    // a g/v/as the endpoint does not serve is skipped, like any unservable clause
    const table = await get(`${server.url}/apis`, {
      Accept: 'application/json;as=Table;g=meta.k8s.io;v=v1, application/json',
    });
    expect(table.json().kind).toBe('APIGroupList');
  });

  it('answers 304 when If-None-Match carries the current ETag', async () => {
    const first = await get(`${server.url}/apis`, { Accept: V2 });
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^"[0-9A-F]{128}"$/);
    const again = await get(`${server.url}/apis`, { Accept: V2, 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    const stale = await get(`${server.url}/apis`, { Accept: V2, 'If-None-Match': '"0"' });
    expect(stale.status).toBe(200);
  });

  it('changes the ETag when the tenant adds a CRD', async () => {
    const before = (await get(`${server.url}/apis`, { Accept: V2 })).headers.get('etag');
    const previous = table;
    table = tenantTable([...cronTabRows(), ...widgetRows()], 2);
    try {
      const after = await get(`${server.url}/apis`, { Accept: V2 });
      expect(after.headers.get('etag')).not.toBe(before);
      const widgets = after.json().items.find((g: any) => g.metadata.name === 'widgets.example.org');
      expect(widgets.versions[0].resources[0]).toMatchObject({ resource: 'widgets', scope: 'Cluster' });
      // /api does not change with CRDs
      const core1 = (await get(`${server.url}/api`, { Accept: V2 })).headers.get('etag');
      table = previous;
      const core2 = (await get(`${server.url}/api`, { Accept: V2 })).headers.get('etag');
      expect(core1).toBe(core2);
    } finally {
      table = previous;
    }
  });
});

describe('document cache', () => {
  it('shares one document set among tenants without CRDs', () => {
    expect(discoveryDocuments(tenantTable())).toBe(discoveryDocuments(tenantTable([], 7)));
  });

  it('rebuilds a tenant document set only when its generation changes', () => {
    const custom = cronTabRows();
    const a = discoveryDocuments({ ...tenantTable(custom, 1) });
    expect(discoveryDocuments({ ...tenantTable(custom, 1) })).toBe(a);
    const b = discoveryDocuments({ ...tenantTable(custom, 2) });
    expect(b).not.toBe(a);
    // the built-in group documents are the shared ones
    expect(b.group('apps')).toBe(discoveryDocuments(tenantTable()).group('apps'));
  });
});
