// A tenant's watch across all its namespaces served from the shared host watch of the resource
// type (src/hostwatch): the cache's events of the tenant's host namespaces only, filtered by its
// selectors, every object rewritten to the tenant's view and encoded as it negotiated (JSON,
// protobuf, Table, PartialObjectMetadata). No host request is made for it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cloneJSON, isObject } from '../api/object.js';
import { initialEventsEnd, listTypeOf } from '../api/watch-list-blueprint.js';
import type { Negotiated } from '../handlers/negotiate.js';
import { hostPath } from '../hostapi/host-request.js';
import { resourceVersionOf } from '../hostwatch/formats.js';
import type { HostWatchCaches } from '../hostwatch/watch-caches.js';
import { BEFORE_CACHE } from '../hostwatch/watch-cache.js';
import type { CachedItem, ChangeType, Obj } from '../hostwatch/types.js';
import { encodeWatchFrame, protobufWatchContentType } from '../protobuf/index.js';
import { type ResourceInfo, groupVersion } from '../resources/types.js';
import type { NamespaceMap } from '../rewrite/namespace-translator.js';
import { bodyToVirtual } from '../rewrite/object-rewrite.js';
import { tenantFilter } from './shared-watch-filter.js';
import type { SharedWatchPlan } from './shared-watch-plan.js';
import type { TenantScope } from './tenant-scope.js';

export interface SharedWatch {
  req: IncomingMessage;
  res: ServerResponse;
  caches: HostWatchCaches;
  row: ResourceInfo;
  plan: SharedWatchPlan;
  out: Negotiated;
  map: NamespaceMap;
  scope: TenantScope;
  warnings: string[];
}

/** A watcher this far behind (bytes not yet taken by its connection) is ended; it re-watches. */
const MAX_BUFFERED = 16 * 1024 * 1024;

export function setResourceVersion(value: Obj, format: SharedWatchPlan['format'], rv: number): void {
  const objects =
    format === 'table' && Array.isArray(value['rows'])
      ? (value['rows'] as Obj[]).map((r) => r['object'])
      : [value];
  for (const o of [value, ...objects])
    if (isObject(o) && isObject(o['metadata'])) o['metadata']['resourceVersion'] = String(rv);
}

/** A row's object as the tenant's includeObject asks (the cache keeps whole objects). */
export function includeObject(value: Obj, mode: SharedWatchPlan['includeObject']): void {
  if (mode === 'Object' || !Array.isArray(value['rows'])) return;
  for (const row of value['rows'] as Obj[]) {
    const o = row['object'];
    if (mode === 'None' || !isObject(o)) delete row['object'];
    else
      row['object'] = {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: o['metadata'],
      };
  }
}

/**
 * Serves the watch from the shared cache; false when the cache cannot serve it (not started on
 * the host, or a watch-list from a version the cache has not reached): the caller fans out.
 */
export async function serveSharedWatch(w: SharedWatch): Promise<boolean> {
  const { res, plan, out, map, row } = w;
  const from = plan.initialEventsEnd ? undefined : plan.from;
  const lease = await w.caches.acquire({ path: hostPath(row, {}), format: plan.format }, from);
  if (!lease) return false;
  const cache = lease.cache;
  // A watch-list from a version the cache has not reached, or a watch from a version before the
  // cache's list (the host's window may still hold it): the host's to answer.
  if (
    (plan.initialEventsEnd && plan.from !== undefined && plan.from > cache.resourceVersion) ||
    (from !== undefined && from < cache.listResourceVersion)
  ) {
    lease.release();
    return false;
  }

  let ended = false;
  let done!: () => void;
  const closed = new Promise<void>((r) => (done = r));
  const cleanups: (() => void)[] = [];
  /** Undone when the watch ends (at once if it already has). */
  const onEnd = (c: () => void): void => void (ended ? c() : cleanups.push(c));
  const finish = (): void => {
    if (ended) return;
    ended = true;
    for (const c of cleanups) c();
    lease.release();
    if (!res.writableEnded) res.end();
    done();
  };
  startWatchResponse(res, out.protobuf, w.warnings);
  w.req.on('close', finish);
  res.on('close', finish);

  const write = (type: string, object: Obj): boolean => {
    if (ended) return false;
    res.write(out.protobuf ? encodeWatchFrame(type, object) : JSON.stringify({ type, object }) + '\n');
    return res.writableLength <= MAX_BUFFERED;
  };
  let columnsSent = false;
  const encoded = (type: ChangeType, item: CachedItem, rv: number): Obj => {
    const value = cloneJSON(item.value);
    if (rv !== resourceVersionOf(item)) setResourceVersion(value, plan.format, rv);
    bodyToVirtual(value, map);
    if (plan.format === 'table') {
      includeObject(value, plan.includeObject);
      // Column definitions on the first event of the tenant's stream only, as the apiserver sends them.
      value['columnDefinitions'] = columnsSent ? [] : cache.columns;
      columnsSent = true;
      return value;
    }
    if (out.kind === 'partial')
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: value['metadata'] };
    return value;
  };
  // Equal encodings are shared by the watchers of one tenant an object state reaches (the form is
  // in the key; the type is added per event).
  const memoKey = `${map.tenant}\0${out.kind}\0${String(out.protobuf)}\0${plan.includeObject}`;
  const bookmark = (rv: number, annotations?: Record<string, string>): boolean =>
    write('BOOKMARK', {
      kind: row.kind,
      apiVersion: groupVersion(row),
      metadata: { resourceVersion: String(rv), ...(annotations ? { annotations } : {}) },
    });
  const passes = tenantFilter(plan, map);

  // The initial state goes out in as few writes as the socket takes.
  res.cork();
  process.nextTick(() => res.uncork());
  const sub = cache.subscribe(
    {
      namespaces: map.entries().map(([, h]) => h),
      passes,
      bookmarks: plan.bookmarks,
      sink: {
        event: (type, item, rv, memo) => {
          if (ended) return false;
          if (!memo || (plan.format === 'table' && !columnsSent)) return write(type, encoded(type, item, rv));
          const key = `${memoKey}\0${type}`;
          let bytes = memo.get(key) as string | Uint8Array | undefined;
          if (bytes === undefined) {
            const object = encoded(type, item, rv);
            bytes = out.protobuf ? encodeWatchFrame(type, object) : JSON.stringify({ type, object }) + '\n';
            memo.set(key, bytes);
          }
          res.write(bytes);
          return res.writableLength <= MAX_BUFFERED;
        },
        bookmark: (rv) => void bookmark(rv),
        end: finish,
      },
    },
    from,
  );
  if (sub === BEFORE_CACHE) {
    finish(); // cannot happen: checked above with nothing in between
    return true;
  }
  if ('requested' in sub) {
    // The apiserver's watch cache answers a version older than its window with one ERROR event.
    write('ERROR', {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `too old resource version: ${sub.requested} (${sub.oldest})`,
      reason: 'Expired',
      code: 410,
    });
    finish();
    return true;
  }
  onEnd(() => sub.close());
  if (plan.initialEventsEnd)
    bookmark(
      cache.resourceVersion,
      initialEventsEnd(listTypeOf(groupVersion(row), row.listKind, out.kind === 'partial'), out.protobuf),
    );
  // Namespaces that get a host namespace while the watch runs join it, their objects as ADDED.
  onEnd(
    w.scope.onHostNamespace(map.readAtRV, (v, h) => {
      map.add(v, h);
      sub.addNamespace(h);
    }),
  );
  if (plan.timeoutSeconds > 0) onEnd(w.caches.deadlines.add(Date.now() + plan.timeoutSeconds * 1000, finish));
  await closed;
  return true;
}

/** The head of a watch kplex answers itself: chunked frames in the negotiated encoding, with the request's warnings. */
export function startWatchResponse(
  res: ServerResponse,
  protobuf: boolean | undefined,
  warnings: readonly string[],
): void {
  res.writeHead(200, {
    'Content-Type': protobuf ? protobufWatchContentType : 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
    ...(warnings.length ? { Warning: warnings.map((x) => `299 - ${JSON.stringify(x)}`) } : {}),
  });
  res.flushHeaders();
}
