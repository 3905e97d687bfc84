// Test harness: a real SQLite tenant store in a temp dir, a small widget strategy, and an HTTP
// server on 127.0.0.1:0 that routes every request through handleVirtualRequest.
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../../src/api/object.js';
import { parseRequestInfo } from '../../../src/api/request-info.js';
import { writeError } from '../../../src/api/respond.js';
import { handleVirtualRequest } from '../../../src/handlers/virtual.js';
import { VirtualGarbageCollector } from '../../../src/registry/garbage-collector.js';
import { VirtualRegistry } from '../../../src/registry/registry.js';
import type { FullStrategy } from '../../../src/registry/strategy.js';
import type { ResourceInfo } from '../../../src/resources/types.js';
import { SqliteTenantStore } from '../../../src/store/sqlite-tenant-store.js';

export const widgetInfo: ResourceInfo = {
  group: 'example.com',
  version: 'v1',
  resource: 'widgets',
  kind: 'Widget',
  listKind: 'WidgetList',
  singular: 'widget',
  namespaced: true,
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  placement: 'virtual',
  storageVersion: true,
  subresources: {
    status: true,
    scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
  },
};

/** Known fields: spec.color, spec.replicas, spec.size; everything else under spec is pruned. */
export const widgetStrategy: FullStrategy = {
  prepareForCreate() {},
  prepareForUpdate() {},
  validateCreate: (o) =>
    typeof (o['spec'] as { size?: unknown } | undefined)?.size === 'string'
      ? [
          {
            type: 'FieldValueInvalid',
            field: 'spec.size',
            value: (o['spec'] as { size: string }).size,
            detail: 'must be an integer',
          },
        ]
      : [],
  validateUpdate: () => [],
  pruneUnknownFields(o) {
    const spec = o['spec'] as Record<string, unknown> | undefined;
    if (!spec) return [];
    const unknown = Object.keys(spec).filter((k) => !['color', 'replicas', 'size'].includes(k));
    for (const k of unknown) delete spec[k];
    return unknown.map((k) => `.spec.${k}`);
  },
  selectableFields: (o) => ({
    'spec.color': String((o['spec'] as { color?: string } | undefined)?.color ?? ''),
  }),
  selectableFieldNames: () => ['spec.color'],
  printerColumns: () => [],
};

export interface Harness {
  url: string;
  store: SqliteTenantStore;
  close(): Promise<void>;
  req(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; headers: Headers; json: any; text: string }>;
}

export async function startHarness(
  extra: Array<{ info: ResourceInfo; strategy: FullStrategy }> = [],
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'kplex-handlers-'));
  const store = new SqliteTenantStore('t1', join(dir, 't1.db'), { changeLogRetention: 50 });
  const resources = [{ info: widgetInfo, strategy: widgetStrategy }, ...extra];
  const gc: VirtualGarbageCollector = new VirtualGarbageCollector(() =>
    resources.map(
      (r) => new VirtualRegistry({ tenant: 't1', store, info: r.info, strategy: r.strategy, gc }),
    ),
  );
  const server: Server = createServer((req, res) => {
    try {
      const u = new URL(req.url!, 'http://x');
      const ri = parseRequestInfo(req.method!, u.pathname, u.searchParams);
      const r = resources.find((x) => x.info.resource === ri.resource && x.info.group === ri.apiGroup)!;
      handleVirtualRequest(req, res, {
        tenant: 't1',
        store,
        info: r.info,
        strategy: r.strategy,
        requestInfo: ri,
        query: u.searchParams,
        user: { username: 'alice', groups: [] },
        gc,
      }).catch((err: unknown) => writeError(res, err));
    } catch (err) {
      writeError(res, err);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  const url = `http://127.0.0.1:${addr.port}`;
  return {
    url,
    store,
    close: () => new Promise<void>((r) => server.close(() => r())).then(() => void store.close()),
    async req(method, path, body, headers = {}) {
      const r = await fetch(url + path, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await r.text();
      let json: any;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: r.status, headers: r.headers, json, text };
    },
  };
}

export const widget = (
  name: string,
  spec: Record<string, unknown> = {},
  meta: Record<string, unknown> = {},
): KubeObject => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name, ...meta },
  spec,
});

export const W = '/apis/example.com/v1/namespaces/ns1/widgets';
