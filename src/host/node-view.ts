// The tenant's Nodes under its Tenant's spec.policy.nodes: by default (view `pods`) only the host
// nodes that run its pods, found from the shared host watch of pods (one for every tenant, its
// host namespaces read), and lists served from that state and the shared host watch of nodes;
// watches in node-view-watch.ts. Without those caches (a host refusing kplex a cluster-wide pod
// list) the view filters the host's answers by the nodes of a per-namespace pod list instead.
import type { ServerResponse } from 'node:http';
import { parseFieldSelector } from '../api/field-selector.js';
import { parseLabelSelector } from '../api/labels.js';
import { type KubeObject, cloneJSON, isObject } from '../api/object.js';
import { badRequest, resourceExpired } from '../api/status.js';
import type { Negotiated } from '../handlers/negotiate.js';
import { encodeResult, warningHeaders } from '../handlers/output.js';
import type { HostClient } from '../hostapi/host-client.js';
import { callHost, readJSON } from '../hostapi/host-request.js';
import type { CacheLease, HostWatchCaches } from '../hostwatch/watch-caches.js';
import type { NamespaceMap } from '../rewrite/namespace-translator.js';
import { viewBody, viewObject } from './host-view.js';
import { type NodeSelection, TenantNodeState, itemsAt, nodeOfPod } from './node-view-state.js';
import { includeObject } from './shared-watch.js';
import type { IncludeObject } from './shared-watch-plan.js';

type Obj = Record<string, unknown>;

export const PODS_PATH = '/api/v1/pods';
export const NODES_PATH = '/api/v1/nodes';

/** Field selectors the apiserver takes for nodes (pkg/apis/core/v1 conversion); others are 400. */
const NODE_SELECTABLE = new Set(['metadata.name', 'spec.unschedulable']);

export function nodeSelection(q: URLSearchParams): NodeSelection {
  const labels = parseLabelSelector(q.get('labelSelector') ?? '');
  const fields = parseFieldSelector(q.get('fieldSelector') ?? '');
  for (const f of fields)
    if (!NODE_SELECTABLE.has(f.field)) throw badRequest(`field label not supported: ${f.field}`);
  return { labels, fields };
}

/** A node as the tenant sees it: sanitized (host-view.ts) unless its Tenant may write host nodes. */
export function shownNode(value: Obj, whole: boolean, map: NamespaceMap): Obj {
  if (whole) return value;
  if (value['kind'] === 'Table') viewBody('/nodes', value, map);
  else viewObject('/nodes', value, map);
  return value;
}

/** The two caches a view is read from; undefined when either cannot be had (then the fall-back). */
export async function acquireViewCaches(
  caches: HostWatchCaches | undefined,
  nodeFormat: 'object' | 'table',
  from?: number,
): Promise<{ pods: CacheLease; nodes: CacheLease } | undefined> {
  if (!caches) return undefined;
  const pods = await caches.acquire({ path: PODS_PATH, format: 'object' }, from);
  if (!pods) return undefined;
  const nodes = await caches.acquire({ path: NODES_PATH, format: nodeFormat }, from);
  if (!nodes) {
    pods.release();
    return undefined;
  }
  return { pods, nodes };
}

/** The nodes that run the tenant's pods now. */
export async function tenantPodNodes(
  host: HostClient,
  caches: HostWatchCaches | undefined,
  map: NamespaceMap,
): Promise<Set<string>> {
  const hostNamespaces = map.entries().map(([, h]) => h);
  const out = new Set<string>();
  const lease = caches && (await caches.acquire({ path: PODS_PATH, format: 'object' }));
  if (lease) {
    try {
      for (const h of hostNamespaces)
        for (const item of lease.cache.inNamespace(h)) {
          const n = nodeOfPod(item.object);
          if (n) out.add(n);
        }
    } finally {
      lease.release();
    }
    return out;
  }
  // No shared pod watch: one host list of bound pods per host namespace (metadata only would lose spec).
  await Promise.all(
    hostNamespaces.map(async (h) => {
      const res = await callHost(host, {
        method: 'GET',
        path: `/api/v1/namespaces/${encodeURIComponent(h)}/pods`,
        query: new URLSearchParams({ fieldSelector: 'spec.nodeName!=' }),
        accept: 'application/json',
      });
      const body = await readJSON(res);
      if (res.statusCode !== 200 || !isObject(body) || !Array.isArray(body['items'])) return;
      for (const p of body['items'] as unknown[]) if (isObject(p) && nodeOfPod(p)) out.add(nodeOfPod(p));
    }),
  );
  return out;
}

/** The view's filter of host answers (fall-back): a node object, a Table (rows filtered in place) or a list. */
export function keepNodes(names: ReadonlySet<string>): (o: Obj) => boolean {
  const rowName = (r: Obj): string =>
    String(meta(r['object'])['name'] ?? (r['cells'] as unknown[] | undefined)?.[0] ?? '');
  return (o) => {
    if (Array.isArray(o['rows'])) {
      o['rows'] = (o['rows'] as Obj[]).filter((r) => names.has(rowName(r)));
      return (o['rows'] as Obj[]).length > 0;
    }
    if (Array.isArray(o['items'])) {
      o['items'] = (o['items'] as Obj[]).filter((i) => names.has(String(meta(i)['name'] ?? '')));
      return true;
    }
    return names.has(String(meta(o)['name'] ?? ''));
  };
}

export interface NodeList {
  res: ServerResponse;
  caches: HostWatchCaches | undefined;
  query: URLSearchParams;
  out: Negotiated;
  map: NamespaceMap;
  whole: boolean;
  warnings: string[];
}

const meta = (o: unknown): Obj => (isObject(o) && isObject(o['metadata']) ? o['metadata'] : {});

/**
 * A LIST of the nodes that run the tenant's pods, from the shared pod and node watches: their
 * current state, at the larger of their versions (the smaller is most often a cache with no recent
 * event, whose state is current; rebuilt back to it, the list would show a stale view), or at
 * the version of a resourceVersionMatch=Exact list. False when the caches cannot be had.
 */
export async function serveNodeList(l: NodeList): Promise<boolean> {
  const q = l.query;
  const sel = nodeSelection(q);
  const table = l.out.kind === 'table';
  const leases = await acquireViewCaches(l.caches, table ? 'table' : 'object');
  if (!leases) return false;
  try {
    const P = leases.pods.cache;
    const N = leases.nodes.cache;
    const exact = q.get('resourceVersionMatch') === 'Exact' ? Number(q.get('resourceVersion')) : NaN;
    const rv =
      Number.isSafeInteger(exact) && exact > 0 ? exact : Math.max(P.resourceVersion, N.resourceVersion);
    const hostNs = new Set(l.map.entries().map(([, h]) => h));
    const pods = itemsAt(P, hostNs, rv);
    const nodes = itemsAt(N, new Set(['']), rv);
    if (!pods || !nodes) throw resourceExpired(String(rv), String(Math.max(P.oldest, N.oldest)));
    const state = new TenantNodeState(sel);
    for (const p of pods.values()) state.pod(p, false);
    for (const n of nodes.values()) state.node(n, false);
    const visible = state.visibleNodes();
    let body: Obj;
    if (table) {
      const rows = visible.map((n) => {
        const t = shownNode(cloneJSON(n.value), l.whole, l.map);
        return (t['rows'] as Obj[])[0]!;
      });
      body = {
        kind: 'Table',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { resourceVersion: String(rv) },
        columnDefinitions: N.columns,
        rows,
      };
      const mode = q.get('includeObject') ?? 'Metadata';
      includeObject(
        body,
        (['None', 'Metadata', 'Object'].includes(mode) ? mode : 'Metadata') as IncludeObject,
      );
    } else {
      const items = visible.map((n) => {
        const o = shownNode(cloneJSON(n.value), l.whole, l.map);
        if (l.out.kind === 'partial')
          return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: meta(o) };
        delete o['kind']; // list items carry none, as the host's
        delete o['apiVersion'];
        return o;
      });
      body =
        l.out.kind === 'partial'
          ? {
              kind: 'PartialObjectMetadataList',
              apiVersion: 'meta.k8s.io/v1',
              metadata: { resourceVersion: String(rv) },
              items,
            }
          : { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items };
    }
    const { data, contentType } = encodeResult(
      body as unknown as KubeObject,
      { out: l.out, columns: [], includeObject: 'Metadata', warnings: l.warnings },
      l.out.kind === 'yaml',
    );
    l.res.writeHead(200, {
      'Content-Type': contentType,
      'Content-Length': data.length,
      ...(l.warnings.length ? { Warning: warningHeaders(l.warnings) } : {}),
    });
    l.res.end(data);
    return true;
  } finally {
    leases.pods.release();
    leases.nodes.release();
  }
}
