// The host's current resourceVersion, asked cheaply, so a consistent read can be served from a
// shared host watch (the apiserver's ConsistentListFromCache asks etcd for its revision, then waits
// until its watch cache has reached it). The question is a consistent LIST of the collection that
// can match nothing: the host (1.31+) first brings its own watch cache up to etcd's revision, then
// answers from it, no objects, at its current version; an older host answers from etcd at the same
// revision. One pooled keep-alive request (a watch-list's bookmark answers as fast but ends in an
// aborted stream: a new TLS connection per question).
import type { HostClient } from '../hostapi/host-client.js';
import { callHost, readJSON } from '../hostapi/host-request.js';
import { isObject } from '../api/object.js';

/** No object can carry this name (a colon is not allowed in any resource name): the list is empty. */
const NO_OBJECT = 'metadata.name=kplex:freshness';

/**
 * The host's current version for the collection `path` (a cluster-wide one, as a shared watch
 * holds), or undefined when the host did not say within `timeoutMs` (an error, a refusal): the
 * caller then reads from the host instead.
 */
export async function hostVersion(
  host: HostClient,
  path: string,
  timeoutMs: number,
): Promise<number | undefined> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  timer.unref();
  try {
    const res = await callHost(host, {
      method: 'GET',
      path,
      query: new URLSearchParams({ fieldSelector: NO_OBJECT }),
      accept: 'application/json',
      signal: abort.signal,
    });
    const body = await readJSON(res);
    if (res.statusCode !== 200 || !isObject(body) || !isObject(body['metadata'])) return undefined;
    const rv = Number(body['metadata']['resourceVersion']);
    return Number.isSafeInteger(rv) && rv > 0 ? rv : undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
