// Host passthrough: serves a tenant's request on a 'host' or 'host-view' row by sending it to the
// host namespace of its virtual namespace on the shared pool, rewriting paths, query, body and
// response both ways (src/rewrite). The host always speaks JSON to kplex; the tenant gets JSON,
// YAML, protobuf or Table as it negotiated (transcoded here, so every namespace field is rewritten).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeFieldValue } from '../api/field-selector.js';
import type { KubeObject } from '../api/object.js';
import type { RequestInfo } from '../api/request-info.js';
import {
  type StatusError,
  badRequest,
  forbidden,
  notFound,
  pageNotFound,
  statusFailure,
} from '../api/status.js';
import { forbiddenReason } from '../authorizer/authorizer.js';
import type { UserInfo } from '../authorizer/user.js';
import { decodeBody, mediaType, readBody } from '../handlers/body.js';
import { type Negotiated, negotiateOutput } from '../handlers/negotiate.js';
import { encodeResult, warningHeaders } from '../handlers/output.js';
import type { Logger } from '../log/logger.js';
import { hasProtobuf } from '../protobuf/index.js';
import { VIEW_VERBS } from '../resources/host-placement.js';
import { type ResourceInfo, groupVersion } from '../resources/types.js';
import type { ContinueSealer } from '../rewrite/continue-token.js';
import { type NamespaceMap, textToVirtual } from '../rewrite/namespace-translator.js';
import { bodyToVirtual, isHiddenHostObject, objectToHost } from '../rewrite/object-rewrite.js';
import { queryToHost } from '../rewrite/query-rewrite.js';
import type { HostClient } from '../hostapi/host-client.js';
import { fieldValidationOf, refuseDuplicates } from './duplicate-fields.js';
import { callHost, hostPath, readJSON } from '../hostapi/host-request.js';
import { VIEW_RULES, blockingViewOwner, viewBody, viewObject } from './host-view.js';
import { isNodeLeaseRequest, serveNodeLeases } from './node-lease-view.js';
import { keepNodes, serveNodeList, tenantPodNodes } from './node-view.js';
import { serveNodeWatch } from './node-view-watch.js';
import { PASSED_QUERY, SUBRESOURCE_MODES } from './passthrough-data.js';
import { type VolumeRequest, ownVolumesOnly, volumeRequest } from './persistent-volumes.js';
import { storageRefsFor } from './storage-refs.js';
import type { TenantScope } from './tenant-scope.js';
import { proxyWatch } from './watch-proxy.js';
import { sharedWatchPlan } from './shared-watch-plan.js';
import { serveSharedWatch } from './shared-watch.js';
import { serveSharedList } from './shared-list.js';
import type { HostWatchCaches } from '../hostwatch/watch-caches.js';
import { advertisedEndpoint, type KubernetesServices } from './kubernetes-service.js';
import { isUpgrade, proxyUpgrade } from './upgrade-proxy.js';
import { admitHostWrite } from './policy-admission.js';
import { guardProtectedCollection } from './protected-collection.js';
import { showTenantQuota, unwrapQuotaDenial } from './tenant-quota-view.js';
import type { TenantQuotaHooks } from '../limits/tenant-quota.js';
import type { AdmissionChain } from '../admission/chain.js';
import { admissionAttributes } from '../admission/attributes.js';
import { dryRunNamespace } from './dry-run-namespace.js';
import { currentResourceVersion, emptyList, serveEmptyWatch } from './empty-collection.js';
import {
  APPLY_PATCH,
  appliedHere,
  applyConfigForHost,
  patchedForHost,
  strictPatchError,
  type PatchTarget,
} from './host-patch.js';

export interface PassthroughDeps {
  host: HostClient;
  /** Keeps each tenant's `default/kubernetes` Service pointing at kplex. */
  kubernetesServices?: KubernetesServices;
  sealer: ContinueSealer;
  logger?: Logger;
  /** Shared host watches (one per resource type) that serve watches across a tenant's namespaces. */
  watchCaches?: HostWatchCaches;
  /** The tenant-wide quota: admits Service and PVC creates, shows tenant-quota.kplex.io. */
  tenantQuota?: TenantQuotaHooks;
}

export interface PassthroughRequest {
  req: IncomingMessage;
  res: ServerResponse;
  row: ResourceInfo;
  info: RequestInfo;
  /** The URL's query, parsed once by the pipeline. */
  query: URLSearchParams;
  user: UserInfo;
  scope: TenantScope;
  /** The tenant's admission chain, run before a write reaches the host. */
  admission?: AdmissionChain;
  /** `Warning` texts earlier stages of the pipeline collected for the response. */
  warnings?: string[];
  /** A request on the tenant's own PersistentVolumes: how its names map (persistent-volumes.ts). */
  volume?: VolumeRequest['refs'];
}

type Obj = Record<string, unknown>;

const WRITES = new Set(['create', 'update', 'patch']);

/** Patch types the apiserver's routes consume for built-in kinds. */
const HOST_PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  APPLY_PATCH,
];

/** Attempts of a patch whose write met a concurrent change (the apiserver's GuaranteedUpdate retries too). */
const PATCH_ATTEMPTS = 5;

/** Dry-run writes that may create, judged in the stand-in namespace when the real one has no host namespace yet. */
const dryRunCreates = (verb: string, mt: string): boolean =>
  verb === 'create' || verb === 'update' || (verb === 'patch' && mt === APPLY_PATCH);

/**
 * Serves one request on a host-backed row. Failures are thrown for the pipeline's error writer,
 * which answers kplex's own (a failed host call names host things) with a plain InternalError.
 */
export async function handleHostRequest(d: PassthroughDeps, p: PassthroughRequest): Promise<void> {
  const owned = VIEW_RULES[`${p.row.group}/${p.row.resource}`]?.owned;
  await serve(d, owned ? await ownedViewRequest(d, p) : p);
}

/** A request on a view the tenant may own objects of (PVs): its names resolved to host names. */
async function ownedViewRequest(d: PassthroughDeps, p: PassthroughRequest): Promise<PassthroughRequest> {
  const map = p.scope.namespaceMap();
  const v = await volumeRequest(d.host, map, p.info, p.query, () => denied(p));
  return { ...p, info: v.info, query: v.query, volume: v.refs };
}

/** The apiserver's RBAC denial (k8s.io/apiserver/pkg/endpoints/handlers/responsewriters). */
function denied(p: PassthroughRequest): StatusError {
  const { row, info, user } = p;
  const reason = forbiddenReason({
    user,
    verb: info.verb,
    isResourceRequest: true,
    path: info.path,
    namespace: info.namespace,
    apiGroup: row.group,
    apiVersion: row.version,
    resource: row.resource,
    subresource: info.subresource,
    name: info.name,
  });
  return forbidden({ group: row.group, resource: row.resource }, info.name, reason);
}

/** Which nodes' Leases the tenant reads in its kube-node-lease namespace: the nodes it sees. */
async function nodeVisibility(
  d: PassthroughDeps,
  p: PassthroughRequest,
  map: NamespaceMap,
): Promise<(node: string) => boolean> {
  if (p.scope.policy().nodes.view === 'all') return () => true;
  const names = await tenantPodNodes(d.host, d.watchCaches, map);
  return (n) => names.has(n);
}

/** A watch of one node (GET /watch/nodes/x) is a watch of the collection with its name selected. */
function namedNodeQuery(q: URLSearchParams, name: string): URLSearchParams {
  if (!name) return q;
  const out = new URLSearchParams(q);
  const f = q.get('fieldSelector');
  out.set('fieldSelector', `${f ? `${f},` : ''}metadata.name=${escapeFieldValue(name)}`);
  return out;
}

/** A tenant object may not block the host's deletion of a Node, PV... (they are read-only views). */
function refuseBlockingViewOwner(p: PassthroughRequest, obj: unknown): void {
  const why = blockingViewOwner(obj);
  const name = p.info.name || String((obj as KubeObject).metadata?.name ?? '');
  if (why) throw forbidden({ group: p.row.group, resource: p.row.resource }, name, why);
}

function hostAccept(out: Negotiated, isList: boolean): string {
  if (out.kind === 'table') return 'application/json;as=Table;v=v1;g=meta.k8s.io';
  if (out.kind === 'partial')
    return `application/json;as=PartialObjectMetadata${isList ? 'List' : ''};v=v1;g=meta.k8s.io`;
  return 'application/json';
}

function hostQuery(q: URLSearchParams, map: NamespaceMap, row: ResourceInfo): URLSearchParams {
  const out = queryToHost(q, map);
  for (const k of [...out.keys()]) if (!PASSED_QUERY.has(k)) out.delete(k);
  // A view that filters on spec fields needs whole objects in Table rows.
  if (VIEW_RULES[`${row.group}/${row.resource}`]?.visible) out.set('includeObject', 'Object');
  return out;
}

async function serve(d: PassthroughDeps, p: PassthroughRequest): Promise<void> {
  const { req, res, row, info } = p;
  const sub = info.subresource;
  const mode = sub ? SUBRESOURCE_MODES[sub] : 'object';
  if (!mode) throw pageNotFound();
  const gr = `${row.group}/${row.resource}`;
  // Nodes as the Tenant's policy says (node-view.ts): a trusted tenant's writes go to the host.
  const nodesPolicy = gr === '/nodes' ? p.scope.policy().nodes : undefined;
  // The tenant's own PersistentVolumes are written through (persistent-volumes.ts).
  const ownWrites = !!p.volume && (!sub || sub === 'status');
  if (
    row.placement === 'host-view' &&
    (!VIEW_VERBS.includes(info.verb) || (sub && sub !== 'status')) &&
    !nodesPolicy?.hostWrites &&
    !ownWrites
  )
    throw denied(p);
  if (mode === 'refused') {
    throw forbidden(
      { group: row.group, resource: row.resource },
      info.name,
      `kplex does not proxy ${row.resource}/${sub} for tenants: the host would open the connection with its own network reach and credentials`,
    );
  }
  if (mode === 'upgrade' && !isUpgrade(req)) throw badRequest('Upgrade request required');

  let map = p.scope.namespaceMap().forRequester(p.user.username);
  if (p.volume)
    map.storageRefs = { forVolume: true, claimClass: (v) => v, claimVolume: (v) => v, ...p.volume };
  const q = p.query;
  // dryRun: no side effect of any kind, including kplex's own (host namespaces, the kubernetes Service).
  const dryRun = q.has('dryRun');
  const mt = mediaType(req.headers['content-type']);
  // go-restful refuses a PATCH whose type no route consumes, before the apiserver's handler runs.
  if (info.verb === 'patch' && !HOST_PATCH_TYPES.includes(mt))
    throw statusFailure(415, 'UnsupportedMediaType', '415: Unsupported Media Type');
  if (!dryRun) await ensureKubernetesService(d, p, map);
  const hq = hostQuery(q, map, row);
  if (p.volume && info.verb === 'deletecollection') ownVolumesOnly(hq, map);
  if (mode === 'upgrade' && isUpgrade(req)) {
    const h = map.hostOf(info.namespace);
    if (!h || !info.name) throw notFound({ group: row.group, resource: row.resource }, info.name);
    return proxyUpgrade(
      d.host,
      req,
      `${hostPath(row, { namespace: h, name: info.name, subresource: sub })}?${hq.toString()}`,
      (t) => textToVirtual(t, map),
    );
  }
  const isList =
    !info.name && (info.verb === 'list' || info.verb === 'watch' || info.verb === 'deletecollection');
  const out =
    mode === 'stream'
      ? ({ kind: 'json' } as Negotiated)
      : negotiateOutput(req.headers.accept, hasProtobuf(groupVersion(row), row.kind));
  // A watch's items are single objects: the host ends a watch asked as a List at once, with nothing sent.
  const accept = hostAccept(out, isList && info.verb !== 'watch');
  if (isNodeLeaseRequest(row.group, row.resource, info))
    return serveNodeLeases({
      ...{ host: d.host, req, res, info, query: q, out, map, warnings: [...(p.warnings ?? [])] },
      visible: await nodeVisibility(d, p, map),
      denied: () => denied(p),
    });
  /** The nodes shown when only those running the tenant's pods are (a fall-back of the caches' view). */
  let nodeFilter: ((o: Obj) => boolean) | undefined;
  const wholeNodes = !!nodesPolicy?.hostWrites;
  if (nodesPolicy?.view === 'pods' && VIEW_VERBS.includes(info.verb) && mode === 'object') {
    const view = { req, res, caches: d.watchCaches, out, map, scope: p.scope, whole: wholeNodes };
    const warnings = [...(p.warnings ?? [])];
    if (info.verb === 'list' && (await serveNodeList({ ...view, query: q, warnings }))) return;
    if (
      info.verb === 'watch' &&
      (await serveNodeWatch({ ...view, query: namedNodeQuery(q, info.name), warnings }))
    )
      return;
    nodeFilter = keepNodes(await tenantPodNodes(d.host, d.watchCaches, map));
  }

  // Which host namespaces the request addresses.
  let hostNamespaces: (string | undefined)[] = [undefined];
  if (row.namespaced) {
    if (info.namespace) {
      // Admission's request checks (namespace lifecycle, bindings) before a host namespace is made for it.
      if (info.verb === 'create')
        p.admission?.admitRequest(
          admissionAttributes({
            row,
            info,
            user: p.user,
            operation: 'CREATE',
            object: null,
            oldObject: null,
            dryRun,
          }),
        );
      let h = map.hostOf(info.namespace);
      if (!h && p.scope.namespaceExists(info.namespace)) {
        if (!dryRun) {
          h = await p.scope.ensureHostNamespace(info.namespace);
          map.add(info.namespace, h); // responses must rewrite the namespace just created too
        } else if (dryRunCreates(info.verb, mt) && !sub && q.getAll('dryRun').every((v) => v === 'All')) {
          // Only a request the host is sure to treat as a dry run may address the shared stand-in.
          h = await dryRunNamespace(d.host);
          map = map.withStandIn(info.namespace, h);
        } // other dry-run writes: nothing can exist there yet, the placeholder below answers 404
      } else if (!h && WRITES.has(info.verb))
        throw notFound({ group: '', resource: 'namespaces' }, info.namespace);
      // A missing namespace: kplex answers a named read itself (404, as the apiserver's storage);
      // a list or watch reads as empty from a placeholder name no tenant can create (kplex-*).
      if (!h && !isList && info.verb !== 'watch')
        throw notFound({ group: row.group, resource: row.resource }, info.name);
      hostNamespaces = [h ?? map.hostRef(info.namespace)];
    } else if (isList) {
      const all = map.entries().map(([, h]) => h);
      hostNamespaces = all.length ? all : [map.hostRef('')];
    } else throw pageNotFound();
  }
  if (info.verb === 'deletecollection') await guardProtectedCollection(d.host, row, hq, hostNamespaces);

  // Namespaces with no host namespace hold nothing: answered here, never asked of a placeholder
  // (empty-collection.ts). An all-namespace watch with a shared plan still joins later namespaces.
  const unbacked = row.namespaced && (info.namespace ? !map.hostOf(info.namespace) : !map.entries().length);
  if (unbacked && (isList || info.verb === 'watch')) {
    const sharedLater = info.verb === 'watch' && !info.namespace && !info.name && d.watchCaches;
    if (!sharedLater || !sharedWatchPlan(gr, q, out)) {
      const rv = await currentResourceVersion(d.host);
      if (info.verb === 'watch') return serveEmptyWatch(req, res, row, out, q, rv);
      return writeOut(res, 200, emptyList(row, rv), out, [...(p.warnings ?? [])]);
    }
  }

  if (info.verb === 'watch') {
    const keep =
      row.placement === 'host-view'
        ? (o: Obj) => (nodeFilter ? nodeFilter(o) : true) && (wholeNodes || viewObject(gr, o, map))
        : undefined;
    const paths = hostNamespaces.map((ns) => hostPath(row, { namespace: ns, name: info.name || undefined }));
    const wq = new URLSearchParams(hq);
    if (info.name) {
      // GET /watch/pods/x: the host watches the collection with a name selector.
      wq.set('fieldSelector', `metadata.name=${escapeFieldValue(info.name)}`);
      paths.splice(0, paths.length, ...hostNamespaces.map((ns) => hostPath(row, { namespace: ns })));
    }
    wq.set('watch', 'true');
    const acrossNamespaces = row.namespaced && !info.namespace;
    const plan = acrossNamespaces && !info.name && d.watchCaches ? sharedWatchPlan(gr, q, out) : undefined;
    if (plan && d.watchCaches) {
      const served = await serveSharedWatch({
        req,
        res,
        caches: d.watchCaches,
        row,
        plan,
        out,
        map,
        scope: p.scope,
        warnings: [...(p.warnings ?? [])],
      });
      if (served) return;
    }
    const onNewPath = acrossNamespaces
      ? (add: (path: string) => void) =>
          p.scope.onHostNamespace(map.readAtRV, (v, h) => {
            map.add(v, h);
            add(hostPath(row, { namespace: h }));
          })
      : undefined;
    return proxyWatch({
      req,
      res,
      host: d.host,
      paths,
      query: wq,
      accept,
      out,
      map,
      keep,
      warnings: [...(p.warnings ?? [])],
      onNewPath,
    });
  }
  if (info.verb === 'list' && row.namespaced && !info.namespace && d.watchCaches) {
    const warnings = [...(p.warnings ?? [])];
    if (await serveSharedList({ res, caches: d.watchCaches, row, query: q, out, map, warnings })) return;
  }
  if (isList && hostNamespaces.length > 1)
    return fanOutList(d, p, map, hq, accept, out, hostNamespaces as string[]);

  const hostNs = hostNamespaces[0];
  const target = { namespace: hostNs, name: info.name || undefined, subresource: sub || undefined };
  let body: string | undefined;
  let contentType: string | undefined;
  const raw = ['create', 'update', 'patch', 'delete', 'deletecollection'].includes(info.verb)
    ? await readBody(req)
    : Buffer.alloc(0);
  let decodeErrors: string[] = [];
  const pt: PatchTarget = {
    row,
    subresource: sub || undefined,
    namespace: info.namespace,
    name: info.name,
    hostNamespace: hostNs,
    map,
    fieldValidation: q.get('fieldValidation') ?? '',
  };
  /** Duplicate fields of a patch body (dropped by decoding): warnings, or the Strict refusal. */
  let patchDuplicates: string[] = [];
  /** A patch kplex applies itself to the current object (then PUT); `undefined` for other writes. */
  let patchOp: { target: PatchTarget; patch: unknown } | undefined;
  if (info.verb === 'patch' && appliedHere(mt)) patchOp = { target: pt, patch: undefined };
  if (raw.length) {
    const decodedBody = decodeBody(raw, req.headers['content-type']);
    const decoded = decodedBody.value;
    if (info.verb === 'create' || info.verb === 'update') decodeErrors = decodedBody.duplicates;
    else if (patchOp)
      patchDuplicates = decodedBody.duplicates.map((d) =>
        mt === 'application/json-patch+json' ? `json patch ${d}` : d,
      );
    const meta = (decoded as KubeObject | undefined)?.metadata;
    if (
      (info.verb === 'create' || info.verb === 'update') &&
      info.namespace &&
      meta?.namespace &&
      meta.namespace !== info.namespace
    ) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    refuseBlockingViewOwner(p, decoded);
    const refs = await storageRefsFor(d.host, map, gr, [decoded]);
    if (refs) map.storageRefs = { ...refs, ...p.volume };
    if (patchOp) patchOp.patch = decoded;
    else if (info.verb === 'patch') applyConfigForHost(pt, decoded);
    else objectToHost(decoded, map, hostNs);
    body = JSON.stringify(decoded);
    contentType = info.verb === 'patch' ? mt : 'application/json';
  }
  if (info.verb === 'list' && q.get('continue')) {
    const tok = d.sealer.open(p.scope.tenant, q.get('continue')!);
    hq.set('continue', tok.host);
  }
  const call = {
    method: req.method ?? 'GET',
    path: hostPath(row, target),
    query: hq,
    accept,
    body,
    contentType,
    bodyTimeout: q.get('follow') === 'true' ? 0 : undefined,
  };
  // Re-serializing the body dropped duplicate fields: apply the fieldValidation directive to them here.
  const directive = fieldValidationOf(q);
  if (decodeErrors.length && directive === 'Strict')
    await refuseDuplicates(d.host, call, row.kind, row.version, decodeErrors);
  let policyWarnings: string[];
  let shown = '';
  let hres: Awaited<ReturnType<typeof callHost>>;
  for (let attempt = 1; ; attempt++) {
    let pinned = false;
    if (patchOp) {
      const current = await callHost(d.host, { method: 'GET', path: call.path, accept: 'application/json' });
      const cur = await readJSON(current);
      if (current.statusCode !== 200 || typeof cur !== 'object' || cur === null) {
        // The object is missing (or unreadable): the patch fails as the host answered the read.
        const obj = (typeof cur === 'object' && cur !== null ? cur : {}) as Obj;
        bodyToVirtual(obj, map);
        return writeOut(res, current.statusCode, obj, out, hostWarnings(current.headers['warning'], map));
      }
      const put = patchedForHost(patchOp.target, cur as KubeObject, mt, structuredClone(patchOp.patch));
      pinned = put.pinned;
      shown = put.shown;
      if (directive === 'Strict' && patchDuplicates.length) throw strictPatchError(shown, patchDuplicates);
      refuseBlockingViewOwner(p, put.object);
      Object.assign(call, {
        method: 'PUT',
        body: JSON.stringify(put.object),
        contentType: 'application/json',
      });
    }
    policyWarnings =
      p.admission && mode === 'object'
        ? await admitHostWrite({
            host: d.host,
            admission: p.admission,
            row,
            info,
            user: p.user,
            map,
            hostNamespace: hostNs,
            call,
            ...(d.tenantQuota ? { quota: (r) => d.tenantQuota!.admit(map.tenantUid, r) } : {}),
          })
        : [];
    hres = await callHost(d.host, call);
    if (d.tenantQuota && info.verb === 'create' && hres.statusCode >= 300 && hostNs)
      d.tenantQuota.release(row.resource, hostNs, createdName(call.body));
    if (patchOp && directive === 'Strict' && hres.statusCode === 400) {
      // The PUT's strict decoding error, worded as the apiserver words it for a patch.
      const text = await hres.body.text();
      const m = /strict decoding error: (.*)$/.exec((JSON.parse(text) as { message?: string }).message ?? '');
      if (m) throw strictPatchError(shown, [...patchDuplicates, m[1]!]);
      res.writeHead(400, { 'Content-Type': 'application/json' });
      return void res.end(textToVirtual(text, map));
    }
    if (!patchOp || pinned || hres.statusCode !== 409 || attempt >= PATCH_ATTEMPTS) break;
    await hres.body.dump(); // a concurrent write came between the read and the write: read again
  }
  const warnings = [
    ...(p.warnings ?? []),
    ...policyWarnings,
    ...hostWarnings(hres.headers['warning'], map),
    ...(directive === 'Warn' ? decodeErrors : []),
    ...(directive !== 'Ignore' && directive !== 'Strict' ? patchDuplicates : []),
  ];

  if (mode === 'stream' && hres.statusCode < 300) return streamRaw(req, res, hres);
  const json = await readJSON(hres);
  if (typeof json !== 'object' || json === null) {
    res.writeHead(hres.statusCode, { 'Content-Type': String(hres.headers['content-type'] ?? 'text/plain') });
    return void res.end(typeof json === 'string' ? textToVirtual(json, map) : '');
  }
  const obj = json as Obj;
  // A host-backed owner deleted through kplex: its virtual dependents follow (ownership both ways).
  if (info.verb === 'delete' && hres.statusCode < 300) p.scope.hostObjectDeleted(obj, q, raw);
  if (info.verb === 'deletecollection' && hres.statusCode < 300 && Array.isArray(obj['items']))
    for (const item of obj['items'] as Obj[]) p.scope.hostObjectDeleted(item, q, raw);
  // kplex's own objects in a tenant's host namespaces (kplex.io/hidden) are hidden from a read by name too.
  const rows = obj['kind'] === 'Table' && Array.isArray(obj['rows']) ? (obj['rows'] as Obj[]) : [];
  if (
    info.verb === 'get' &&
    hres.statusCode < 300 &&
    (isHiddenHostObject(obj) || (rows.length === 1 && isHiddenHostObject(rows[0]!['object'])))
  )
    throw notFound({ group: row.group, resource: row.resource }, info.name);
  if (row.placement === 'host-view' && hres.statusCode < 300) {
    const hidden = (nodeFilter && !nodeFilter(obj)) || (!wholeNodes && !isList && !viewObject(gr, obj, map));
    if (hidden) throw notFound({ group: row.group, resource: row.resource }, info.name);
    if (!wholeNodes && isList) viewBody(gr, obj, map);
  }
  const hostContinue = (obj['metadata'] as Obj | undefined)?.['continue'];
  if (d.tenantQuota && gr === '/resourcequotas' && hres.statusCode < 300) {
    const figures = await d.tenantQuota.figures(map.tenantUid);
    showTenantQuota(obj, () => figures);
  }
  if (hres.statusCode >= 300 && gr === '/pods') unwrapQuotaDenial(obj);
  bodyToVirtual(obj, map);
  if (typeof hostContinue === 'string' && hostContinue) {
    (obj['metadata'] as Obj)['continue'] = d.sealer.seal(p.scope.tenant, {
      ns: '',
      host: hostContinue,
      rv: '',
    });
  }
  writeOut(res, hres.statusCode, obj, out, warnings);
}

/** The name a create's body asks for ('' for generateName). */
function createdName(body: unknown): string {
  try {
    const name = (JSON.parse(String(body)) as KubeObject | null)?.metadata?.name;
    return typeof name === 'string' ? name : '';
  } catch {
    return '';
  }
}

/** The rows the `kubernetes` Service shows up in: reading them in `default` must find it. */
const KUBERNETES_SERVICE_ROWS = new Set(['/services', '/endpoints', 'discovery.k8s.io/endpointslices']);

/** Before a tenant looks at (or lists across) its `default` namespace, its `kubernetes` Service is there. */
async function ensureKubernetesService(
  d: PassthroughDeps,
  p: PassthroughRequest,
  map: NamespaceMap,
): Promise<void> {
  if (!d.kubernetesServices || (p.info.namespace && p.info.namespace !== 'default')) return;
  const at = advertisedEndpoint(p.req);
  if (!at) return;
  let hostDefault = map.hostOf('default');
  if (!hostDefault) {
    // `default`'s host namespace is created on first use; looking for the Service is a use
    // (in-cluster clients and e2e's suite setup read services/kubernetes before anything else).
    if (
      !KUBERNETES_SERVICE_ROWS.has(`${p.row.group}/${p.row.resource}`) ||
      !p.scope.namespaceExists('default')
    )
      return;
    hostDefault = await p.scope.ensureHostNamespace('default');
    map.add('default', hostDefault);
  }
  await d.kubernetesServices
    .ensure(p.scope.tenant, hostDefault, at)
    .catch((err: unknown) =>
      d.logger?.warn({ err, tenant: p.scope.tenant }, 'ensuring the kubernetes Service failed'),
    );
}

function hostWarnings(h: string | string[] | undefined, map: NamespaceMap): string[] {
  const list = h === undefined ? [] : Array.isArray(h) ? h : [h];
  // A warning is `299 - "<quoted-string>"`: unquote it (warningHeaders quotes it again).
  return list.map((w) => {
    const m = /^299 - "(.*)"$/.exec(w);
    return textToVirtual(m ? m[1]!.replace(/\\(.)/g, '$1') : w, map);
  });
}

function writeOut(res: ServerResponse, code: number, obj: Obj, out: Negotiated, warnings: string[]): void {
  const { data, contentType } = encodeResult(
    obj as KubeObject,
    { out, columns: [], includeObject: 'Metadata', warnings },
    out.kind === 'yaml',
  );
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': data.length,
    ...(warnings.length ? { Warning: warningHeaders(warnings) } : {}),
  });
  res.end(data);
}

async function streamRaw(
  req: IncomingMessage,
  res: ServerResponse,
  hres: Awaited<ReturnType<typeof callHost>>,
): Promise<void> {
  res.writeHead(hres.statusCode, {
    'Content-Type': String(hres.headers['content-type'] ?? 'text/plain'),
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  const stop = (): void => void hres.body.destroy();
  req.on('close', stop);
  try {
    for await (const chunk of hres.body) res.write(chunk);
  } catch {
    // client went away
  }
  res.end();
}

/**
 * A list across all of the tenant's namespaces: one host list per host namespace, all read at
 * the resourceVersion of the first (Exact), merged. With `limit`, pages stop inside a namespace
 * (sealed host token) or between two (sealed next-namespace position).
 */
async function fanOutList(
  d: PassthroughDeps,
  p: PassthroughRequest,
  map: NamespaceMap,
  hq: URLSearchParams,
  accept: string,
  out: Negotiated,
  _all: string[],
): Promise<void> {
  const { row, info, res } = p;
  const q = p.query;
  const entries = map.entries();
  let start = 0;
  let resume = '';
  let rv = '';
  const cont = q.get('continue');
  if (cont) {
    const tok = d.sealer.open(p.scope.tenant, cont);
    start = entries.findIndex(([v]) => v >= tok.ns);
    if (start < 0) start = entries.length;
    if (entries[start]?.[0] === tok.ns) resume = tok.host;
    rv = tok.rv;
  }
  const limit = Number(q.get('limit') ?? 0) || 0;
  let merged: Obj | undefined;
  const collected: unknown[] = [];
  let next: string | undefined;
  let warnings: string[] = [...(p.warnings ?? [])];
  const method = info.verb === 'deletecollection' ? 'DELETE' : 'GET';
  const fetchPage = (i: number) => {
    const pq = new URLSearchParams(hq);
    if (resume && i === start) {
      pq.set('continue', resume);
      pq.delete('resourceVersion');
      pq.delete('resourceVersionMatch');
    } else if (rv) {
      pq.set('resourceVersion', rv);
      pq.set('resourceVersionMatch', 'Exact');
    }
    if (limit) pq.set('limit', String(limit - collected.length));
    return callHost(d.host, {
      method,
      path: hostPath(row, { namespace: entries[i]![1] }),
      query: pq,
      accept,
    }).then(async (r) => ({ hres: r, body: (await readJSON(r)) as Obj }));
  };
  // Without a limit, every namespace after the first is read at once (at the first one's resourceVersion).
  const prefetched = new Map<number, ReturnType<typeof fetchPage>>();
  for (let i = start; i < entries.length; i++) {
    const vns = entries[i]![0];
    if (!limit && rv && i === start + 1)
      for (let j = i; j < entries.length; j++) prefetched.set(j, fetchPage(j));
    const { hres, body } = await (prefetched.get(i) ?? fetchPage(i));
    warnings = [...warnings, ...hostWarnings(hres.headers['warning'], map)];
    if (hres.statusCode >= 300) {
      bodyToVirtual(body, map);
      return writeOut(res, hres.statusCode, body, out, warnings);
    }
    const meta = (body['metadata'] ?? {}) as Obj;
    rv ||= String(meta['resourceVersion'] ?? '');
    const hostContinue = typeof meta['continue'] === 'string' ? meta['continue'] : '';
    bodyToVirtual(body, map);
    merged ??= body;
    const items = (body['kind'] === 'Table' ? body['rows'] : body['items']) as unknown[] | undefined;
    collected.push(...(items ?? []));
    if (limit) {
      if (hostContinue) next = d.sealer.seal(p.scope.tenant, { ns: vns, host: hostContinue, rv });
      else if (collected.length >= limit && i + 1 < entries.length)
        next = d.sealer.seal(p.scope.tenant, { ns: entries[i + 1]![0], host: '', rv });
      if (next) break;
    }
  }
  const result: Obj = merged ?? {
    apiVersion: groupVersion(row),
    kind: row.listKind,
    metadata: {},
    items: [],
  };
  result[result['kind'] === 'Table' ? 'rows' : 'items'] = collected;
  const meta = (result['metadata'] ??= {}) as Obj;
  meta['resourceVersion'] = rv || meta['resourceVersion'];
  delete meta['remainingItemCount'];
  if (next) meta['continue'] = next;
  else delete meta['continue'];
  writeOut(res, 200, result, out, warnings);
}
