// A tenant's LIST across its namespaces served from the shared host watch of the type, as the
// apiserver serves lists from its watch cache: no host request per namespace. resourceVersion=0
// ("any version", what client-go's informers send first) is the cache's state as it is; no
// resourceVersion (a consistent read, `kubectl get -A`) is the cache's state once it has caught
// up with the host's current version (HostWatchCache.consistentVersion: one small host request,
// whatever the number of namespaces). Other lists (an exact or minimum version, pages, Table) keep
// the per-namespace fan-out, as does a consistent read when the host does not say its version.
import type { ServerResponse } from 'node:http';
import { cloneJSON } from '../api/object.js';
import type { KubeObject } from '../api/object.js';
import type { Negotiated } from '../handlers/negotiate.js';
import { encodeResult, warningHeaders } from '../handlers/output.js';
import { hostPath } from '../hostapi/host-request.js';
import type { HostWatchCaches } from '../hostwatch/watch-caches.js';
import { type ResourceInfo, groupVersion } from '../resources/types.js';
import type { NamespaceMap } from '../rewrite/namespace-translator.js';
import { bodyToVirtual } from '../rewrite/object-rewrite.js';
import { tenantFilter } from './shared-watch-filter.js';
import { sharedWatchPlan } from './shared-watch-plan.js';

export interface SharedList {
  res: ServerResponse;
  caches: HostWatchCaches;
  row: ResourceInfo;
  query: URLSearchParams;
  out: Negotiated;
  map: NamespaceMap;
  warnings: string[];
}

/** Query parameters that make a list something the cache does not answer as the host would. */
const NOT_FROM_CACHE = ['continue', 'resourceVersionMatch', 'sendInitialEvents', 'watch'];

/** How long a consistent read waits for the host to say its version before it fans out. */
const CONSISTENT_TIMEOUT_MS = 1000;

/** Serves the list from the cache; false when it is not one the cache serves (the caller fans out). */
export async function serveSharedList(l: SharedList): Promise<boolean> {
  const { row, query: q, out, map } = l;
  const version = q.getAll('resourceVersion').join();
  if ((version !== '0' && version !== '') || NOT_FROM_CACHE.some((k) => q.has(k))) return false;
  // A paginated consistent read goes to the host, as the apiserver's watch cache delegates it
  // (shouldDelegateList: a limit with a resourceVersion other than 0): the cache has no pages.
  if (version === '' && Number(q.get('limit') ?? 0) > 0) return false;
  if (out.kind !== 'json' && out.kind !== 'yaml') return false;
  const plan = sharedWatchPlan(`${row.group}/${row.resource}`, q, { kind: 'json' });
  if (!plan) return false;
  const lease = await l.caches.acquire({ path: hostPath(row, {}), format: 'object' });
  if (!lease) return false;
  try {
    const cache = lease.cache;
    if (version === '' && (await cache.consistentVersion(CONSISTENT_TIMEOUT_MS)) === undefined) return false;
    const passes = tenantFilter(plan, map);
    const items: unknown[] = [];
    // limit is ignored at resourceVersion=0 (one page of everything), as the apiserver's watch
    // cache ignores it there and as the API lets a server ignore it
    for (const [, h] of map.entries())
      for (const item of cache.inNamespace(h))
        if (passes(item)) {
          const o = cloneJSON(item.value);
          delete o['kind']; // list items carry none, as the host's
          delete o['apiVersion'];
          items.push(o);
        }
    const list = {
      apiVersion: groupVersion(row),
      kind: row.listKind,
      metadata: { resourceVersion: String(cache.resourceVersion) },
      items,
    };
    bodyToVirtual(list, map);
    const { data, contentType } = encodeResult(
      list as unknown as KubeObject,
      { out, columns: [], includeObject: 'Metadata', warnings: l.warnings },
      out.kind === 'yaml',
    );
    l.res.writeHead(200, {
      'Content-Type': contentType,
      'Content-Length': data.length,
      ...(l.warnings.length ? { Warning: warningHeaders(l.warnings) } : {}),
    });
    l.res.end(data);
    return true;
  } finally {
    lease.release();
  }
}
