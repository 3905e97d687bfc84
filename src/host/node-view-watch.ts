// A watch of the nodes that run the tenant's pods (Tenant spec.policy.nodes.view `pods`), made by
// kplex from the shared host watches of pods and nodes: ADDED when the tenant's first pod is bound
// to a node, DELETED when its last one leaves (or the node goes), MODIFIED for node changes while
// it is visible. A watch from a version rebuilds the view at that version from the caches' rings
// and replays both rings' later events in version order, so list-then-watch misses nothing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cloneJSON } from '../api/object.js';
import { initialEventsEnd, listTypeOf } from '../api/watch-list-blueprint.js';
import type { Negotiated } from '../handlers/negotiate.js';
import { resourceVersionOf } from '../hostwatch/formats.js';
import type { CachedEvent } from '../hostwatch/types.js';
import type { HostWatchCaches } from '../hostwatch/watch-caches.js';
import type { Subscription } from '../hostwatch/watch-cache.js';
import { encodeWatchFrame } from '../protobuf/index.js';
import type { NamespaceMap } from '../rewrite/namespace-translator.js';
import { acquireViewCaches, nodeSelection, shownNode } from './node-view.js';
import { TenantNodeState, type ViewChange, itemsAt } from './node-view-state.js';
import { includeObject, setResourceVersion, startWatchResponse } from './shared-watch.js';
import { sharedWatchPlan } from './shared-watch-plan.js';
import type { TenantScope } from './tenant-scope.js';

type Obj = Record<string, unknown>;

export interface NodeWatch {
  req: IncomingMessage;
  res: ServerResponse;
  caches: HostWatchCaches | undefined;
  query: URLSearchParams;
  out: Negotiated;
  map: NamespaceMap;
  scope: TenantScope;
  whole: boolean;
  warnings: string[];
}

/** A watcher this far behind (bytes its connection has not taken) is ended; it re-watches. */
const MAX_BUFFERED = 16 * 1024 * 1024;

/** Serves the watch; false when the caches cannot be had or the query is not one they serve. */
export async function serveNodeWatch(w: NodeWatch): Promise<boolean> {
  const { res, out, map } = w;
  const sel = nodeSelection(w.query); // 400 for a field nodes cannot be selected by
  const rest = new URLSearchParams(w.query);
  rest.delete('fieldSelector');
  const plan = sharedWatchPlan('/nodes', rest, out);
  if (!plan) return false;
  const from = plan.initialEventsEnd ? undefined : plan.from;
  const leases = await acquireViewCaches(w.caches, plan.format, from);
  if (!leases) return false;
  const P = leases.pods.cache;
  const N = leases.nodes.cache;

  let ended = false;
  let done!: () => void;
  const closed = new Promise<void>((r) => (done = r));
  const cleanups: (() => void)[] = [];
  const finish = (): void => {
    if (ended) return;
    ended = true;
    for (const c of cleanups) c();
    leases.pods.release();
    leases.nodes.release();
    if (!res.writableEnded) res.end();
    done();
  };
  startWatchResponse(res, out.protobuf, w.warnings);
  w.req.on('close', finish);
  res.on('close', finish);
  // A client gone while the caches were being acquired: its close events are past.
  if (res.destroyed || w.req.socket.destroyed) finish();

  const write = (type: string, object: Obj): void => {
    if (ended) return;
    res.write(out.protobuf ? encodeWatchFrame(type, object) : JSON.stringify({ type, object }) + '\n');
    if (res.writableLength > MAX_BUFFERED) finish();
  };
  let columnsSent = false;
  /** Versions sent only grow, though two caches' events arrive interleaved. */
  let sent = 0;
  const emit = (changes: ViewChange[], rv: number): void => {
    for (const { type, node } of changes) {
      const at = Math.max(rv, sent);
      sent = at;
      const value = cloneJSON(node.value);
      if (at !== resourceVersionOf(node)) setResourceVersion(value, plan.format, at);
      shownNode(value, w.whole, map);
      if (plan.format === 'table') {
        includeObject(value, plan.includeObject);
        value['columnDefinitions'] = columnsSent ? [] : N.columns;
        columnsSent = true;
        write(type, value);
      } else if (out.kind === 'partial')
        write(type, {
          kind: 'PartialObjectMetadata',
          apiVersion: 'meta.k8s.io/v1',
          metadata: value['metadata'],
        });
      else write(type, value);
    }
  };
  const bookmark = (rv: number, annotations?: Record<string, string>): void => {
    sent = Math.max(sent, rv);
    write('BOOKMARK', {
      kind: 'Node',
      apiVersion: 'v1',
      metadata: { resourceVersion: String(rv), ...(annotations ? { annotations } : {}) },
    });
  };
  const expired = (requested: number): void => {
    write('ERROR', {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `too old resource version: ${requested} (${Math.max(P.oldest, N.oldest, P.listResourceVersion, N.listResourceVersion)})`,
      reason: 'Expired',
      code: 410,
    });
    finish();
  };

  const hostNs = new Set(map.entries().map(([, h]) => h));
  const state = new TenantNodeState(sel);
  const at = from ?? Math.max(P.resourceVersion, N.resourceVersion);
  const pods = itemsAt(P, hostNs, at);
  const nodes = itemsAt(N, new Set(['']), at);
  if (
    !pods ||
    !nodes ||
    (from !== undefined && from < Math.max(P.listResourceVersion, N.listResourceVersion))
  ) {
    expired(at);
    await closed;
    return true;
  }
  res.cork();
  process.nextTick(() => res.uncork());
  for (const p of pods.values()) state.pod(p, false);
  const initial = [...nodes.values()].flatMap((n) => state.node(n, false));
  if (from === undefined) {
    for (const c of initial) emit([c], resourceVersionOf(c.node));
    sent = 0; // the state's own versions; events after it may be older than its newest object
    if (plan.initialEventsEnd)
      bookmark(
        Math.max(at, plan.from ?? 0),
        initialEventsEnd(listTypeOf('v1', 'NodeList', out.kind === 'partial'), out.protobuf),
      );
  } else {
    // What changed after the client's version, both rings in version order.
    const later: ['pods' | 'nodes', CachedEvent][] = [
      ...(P.eventsAfter(from) ?? [])
        .filter((e) => hostNs.has(e.item.ns))
        .map((e) => ['pods', e] as ['pods', CachedEvent]),
      ...(N.eventsAfter(from) ?? []).map((e) => ['nodes', e] as ['nodes', CachedEvent]),
    ];
    later.sort((a, b) => a[1].rv - b[1].rv);
    for (const [kind, e] of later) emit(state.apply(kind, e.type, e.item), e.rv);
  }

  // Live: both caches' current state first (already applied: no change), then their events.
  const sink = (kind: 'pods' | 'nodes') => ({
    event: (type: CachedEvent['type'], item: CachedEvent['item'], rv: number): boolean => {
      if (!ended) emit(state.apply(kind, type, item), rv);
      return !ended;
    },
    bookmark: () => {
      const rv = Math.min(P.resourceVersion, N.resourceVersion);
      if (plan.bookmarks && rv > sent) bookmark(rv);
    },
    end: finish,
  });
  const subs: Subscription[] = [];
  for (const [cache, kind, namespaces] of [
    [P, 'pods', hostNs],
    [N, 'nodes', ['']],
  ] as const) {
    const sub = cache.subscribe(
      { namespaces, passes: () => true, bookmarks: true, sink: sink(kind) },
      undefined,
    );
    if (typeof sub === 'object' && 'close' in sub) subs.push(sub);
  }
  cleanups.push(() => subs.forEach((s) => s.close()));
  // Namespaces that get a host namespace while the watch runs: their pods count from then on.
  cleanups.push(
    w.scope.onHostNamespace(map.readAtRV, (v, h) => {
      map.add(v, h);
      subs[0]?.addNamespace(h);
    }),
  );
  if (plan.timeoutSeconds > 0)
    cleanups.push(w.caches!.deadlines.add(Date.now() + plan.timeoutSeconds * 1000, finish));
  if (ended) for (const c of cleanups.splice(0)) c();
  await closed;
  return true;
}
