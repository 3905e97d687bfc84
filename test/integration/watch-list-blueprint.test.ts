// A watch-list (sendInitialEvents=true) ends its initial events with a bookmark that carries the
// empty list in the client's encoding (kubernetes.io/initial-events-list-blueprint): client-go's
// watch-list client refuses the bookmark without it. Tenant and host compared in the same run, for
// virtual kinds, host-backed kinds in one namespace and across namespaces, a namespace with no host
// namespace, JSON, metadata-only and protobuf.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ndjson } from '../../src/api/ndjson.js';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { WatchFrameReader, decodeWatchEvent } from '../../src/protobuf/index.js';
import { apiClient } from '../helpers/api-client.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const WATCH_LIST =
  'watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true';
const JSON_TYPE = 'application/json';
const PARTIAL = 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io';
const PROTOBUF = 'application/vnd.kubernetes.protobuf;type=watch';

type Event = { type: string; object: { metadata?: { annotations?: Record<string, string> } } };

/** The annotations of the watch-list's end bookmark (the stream is cut once it came). */
async function endBookmark(
  client: HostClient,
  path: string,
  accept: string,
): Promise<Record<string, string>> {
  const abort = new AbortController();
  const res = await client.dispatcher.request({
    origin: client.origin,
    path: `${client.basePath}${path}${path.includes('?') ? '&' : '?'}${WATCH_LIST}&timeoutSeconds=10`,
    method: 'GET',
    headers: client.headers({ accept }),
    signal: abort.signal,
    bodyTimeout: 0,
  });
  expect(res.statusCode).toBe(200);
  const events: AsyncIterable<Event> =
    accept === PROTOBUF ? protobufEvents(res.body) : ndjson<Event>(res.body);
  try {
    for await (const ev of events) {
      const a = ev.object.metadata?.annotations ?? {};
      if (ev.type === 'BOOKMARK' && a['k8s.io/initial-events-end'] === 'true') return a;
    }
  } finally {
    abort.abort();
  }
  throw new Error(`no initial-events-end bookmark on ${path}`);
}

async function* protobufEvents(body: AsyncIterable<Uint8Array>): AsyncIterable<Event> {
  const frames = new WatchFrameReader();
  for await (const chunk of body) for (const f of frames.push(chunk)) yield decodeWatchEvent(f) as Event;
}

describe('watch-list end bookmarks carry the list blueprint, as the host sends them', () => {
  const host = inject('host');
  let env: TenantEnv;
  let tenant: HostClient;
  let hostApi: HostClient;

  beforeAll(async () => {
    env = await startTenantEnv(host);
    const kc = await env.tenant('wl-blueprint');
    tenant = await apiClient(kc);
    hostApi = await apiClient(host.kubeconfig);
    kubectlOk(kc, ['create', 'namespace', 'wl-app']);
    kubectlOk(kc, ['-n', 'wl-app', 'create', 'configmap', 'c', '--from-literal=a=b']);
    kubectlOk(kc, ['create', 'clusterrole', 'wl-reader', '--verb=get', '--resource=pods']);
  }, 120_000);
  afterAll(async () => {
    await tenant?.close();
    await hostApi?.close();
    await env?.close();
  });

  const cases: [what: string, tenantPath: string, hostPath: string, accept: string][] = [
    [
      'virtual ClusterRoles, JSON',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      JSON_TYPE,
    ],
    [
      'virtual ClusterRoles, metadata only',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      PARTIAL,
    ],
    [
      'virtual ClusterRoles, protobuf',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      PROTOBUF,
    ],
    [
      'ConfigMaps of one namespace, JSON',
      '/api/v1/namespaces/wl-app/configmaps',
      '/api/v1/namespaces/kube-system/configmaps',
      JSON_TYPE,
    ],
    [
      'ConfigMaps of one namespace, protobuf',
      '/api/v1/namespaces/wl-app/configmaps',
      '/api/v1/namespaces/kube-system/configmaps',
      PROTOBUF,
    ],
    ['ConfigMaps across namespaces, JSON', '/api/v1/configmaps', '/api/v1/configmaps', JSON_TYPE],
    ['ConfigMaps across namespaces, metadata only', '/api/v1/configmaps', '/api/v1/configmaps', PARTIAL],
    [
      'a namespace that does not exist, JSON',
      '/api/v1/namespaces/wl-none/configmaps',
      '/api/v1/namespaces/kube-system/configmaps',
      JSON_TYPE,
    ],
    [
      'a namespace that does not exist, protobuf',
      '/api/v1/namespaces/wl-none/configmaps',
      '/api/v1/namespaces/kube-system/configmaps',
      PROTOBUF,
    ],
  ];
  it.each(cases)('%s', async (_what, tenantPath, hostPath, accept) => {
    const fromHost = await endBookmark(hostApi, hostPath, accept);
    const fromTenant = await endBookmark(tenant, tenantPath, accept);
    expect(fromHost['kubernetes.io/initial-events-list-blueprint']).toBeTruthy();
    expect(fromTenant).toEqual(fromHost);
  });
});
