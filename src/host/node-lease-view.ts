// The node Leases of the nodes a tenant sees, read-only through its own `kube-node-lease`
// namespace, as on any cluster: `kubectl describe node` reads the node's Lease there (its Lease
// and RenewTime lines). They are the host's objects in host namespace kube-node-lease (the kubelet
// renews them); other nodes' Leases stay hidden, and nothing a tenant writes reaches that namespace.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeFieldValue } from '../api/field-selector.js';
import type { KubeObject } from '../api/object.js';
import { isObject } from '../api/object.js';
import type { RequestInfo } from '../api/request-info.js';
import { type StatusError, notFound } from '../api/status.js';
import type { Negotiated } from '../handlers/negotiate.js';
import { encodeResult, warningHeaders } from '../handlers/output.js';
import type { HostClient } from '../hostapi/host-client.js';
import { callHost, readJSON } from '../hostapi/host-request.js';
import { VIEW_VERBS } from '../resources/host-placement.js';
import type { NamespaceMap } from '../rewrite/namespace-translator.js';
import { bodyToVirtual } from '../rewrite/object-rewrite.js';
import { proxyWatch } from './watch-proxy.js';

type Obj = Record<string, unknown>;

/** The namespace of node Leases, on the host and in every tenant. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

const PATH = `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases`;
const GR = { group: 'coordination.k8s.io', resource: 'leases' };
/** What the host is asked beside the path: selectors and versions, never pages (the view filters them). */
const PASSED = [
  'labelSelector',
  'fieldSelector',
  'resourceVersion',
  'resourceVersionMatch',
  'timeoutSeconds',
  'allowWatchBookmarks',
  'includeObject',
  'sendInitialEvents',
];

export const isNodeLeaseRequest = (group: string, resource: string, info: RequestInfo): boolean =>
  group === GR.group && resource === GR.resource && info.namespace === NODE_LEASE_NAMESPACE;

export interface NodeLeaseRequest {
  host: HostClient;
  req: IncomingMessage;
  res: ServerResponse;
  info: RequestInfo;
  query: URLSearchParams;
  out: Negotiated;
  map: NamespaceMap;
  /** Whether the tenant sees the node of this name (its Lease has the node's name). */
  visible: (node: string) => boolean;
  /** The apiserver's RBAC refusal of this request, for writes. */
  denied: () => StatusError;
  warnings: string[];
}

const nameOf = (o: unknown): string => {
  const m = isObject(o) && isObject(o['metadata']) ? o['metadata'] : {};
  return typeof m['name'] === 'string' ? m['name'] : '';
};

function accept(out: Negotiated, list: boolean): string {
  if (out.kind === 'table') return 'application/json;as=Table;v=v1;g=meta.k8s.io';
  if (out.kind === 'partial')
    return `application/json;as=PartialObjectMetadata${list ? 'List' : ''};v=v1;g=meta.k8s.io`;
  return 'application/json';
}

/** A Table row's name: its object's, else its first cell (includeObject=None). */
const rowName = (r: Obj): string =>
  nameOf(r['object']) || String((r['cells'] as unknown[] | undefined)?.[0] ?? '');

export async function serveNodeLeases(r: NodeLeaseRequest): Promise<void> {
  const { info } = r;
  if (!VIEW_VERBS.includes(info.verb) || info.subresource) throw r.denied();
  const map = r.map.withStandIn(NODE_LEASE_NAMESPACE, NODE_LEASE_NAMESPACE);
  const q = new URLSearchParams();
  for (const k of PASSED) for (const v of r.query.getAll(k)) q.append(k, v);
  if (info.verb === 'watch') {
    if (info.name) q.set('fieldSelector', `metadata.name=${escapeFieldValue(info.name)}`);
    q.set('watch', 'true');
    return proxyWatch({
      req: r.req,
      res: r.res,
      host: r.host,
      paths: [PATH],
      query: q,
      accept: accept(r.out, false),
      out: r.out,
      map,
      keep: (o) =>
        r.visible(o['kind'] === 'Table' ? rowName(((o['rows'] as Obj[]) ?? [])[0] ?? {}) : nameOf(o)),
      warnings: r.warnings,
    });
  }
  if (info.name && !r.visible(info.name)) throw notFound(GR, info.name);
  const hres = await callHost(r.host, {
    method: 'GET',
    path: info.name ? `${PATH}/${encodeURIComponent(info.name)}` : PATH,
    query: q,
    accept: accept(r.out, !info.name),
  });
  const body = (await readJSON(hres)) as Obj;
  if (!isObject(body)) throw notFound(GR, info.name);
  if (hres.statusCode < 300) {
    if (Array.isArray(body['items']))
      body['items'] = (body['items'] as unknown[]).filter((i) => r.visible(nameOf(i)));
    if (Array.isArray(body['rows']))
      body['rows'] = (body['rows'] as Obj[]).filter((row) => r.visible(rowName(row)));
    for (const o of [body, ...((body['items'] as unknown[]) ?? [])])
      if (isObject(o) && isObject(o['metadata'])) delete o['metadata']['managedFields'];
  }
  bodyToVirtual(body, map);
  const { data, contentType } = encodeResult(
    body as unknown as KubeObject,
    { out: r.out, columns: [], includeObject: 'Metadata', warnings: r.warnings },
    r.out.kind === 'yaml',
  );
  r.res.writeHead(hres.statusCode, {
    'Content-Type': contentType,
    'Content-Length': data.length,
    ...(r.warnings.length ? { Warning: warningHeaders(r.warnings) } : {}),
  });
  r.res.end(data);
}
