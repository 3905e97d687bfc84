// The host's current resourceVersion, asked cheaply, so a consistent read can be served from a
// shared host watch (the apiserver's ConsistentListFromCache asks etcd for its revision, then waits
// until its watch cache has reached it). The question is a watch-list that can match nothing
// (`sendInitialEvents=true`, no resourceVersion: a consistent read on the host, which first brings
// its own watch cache up to date): the host answers with one BOOKMARK annotated
// `k8s.io/initial-events-end` at its current version, a few milliseconds later, no objects.
import type { HostClient } from '../hostapi/host-client.js';
import { callHost } from '../hostapi/host-request.js';
import { ndjson } from '../api/ndjson.js';
import type { Obj } from './types.js';

/** No object can carry this name (a colon is not allowed in any resource name): the list part is empty. */
const NO_OBJECT = 'metadata.name=kplex:freshness';

/**
 * The host's current version for the collection `path` (a cluster-wide one, as a shared watch
 * holds), or undefined when the host did not say within `timeoutMs` (a host without watch-lists,
 * an error): the caller then reads from the host instead.
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
      query: new URLSearchParams({
        watch: '1',
        sendInitialEvents: 'true',
        resourceVersionMatch: 'NotOlderThan',
        allowWatchBookmarks: 'true',
        fieldSelector: NO_OBJECT,
        timeoutSeconds: String(Math.max(1, Math.ceil(timeoutMs / 1000))),
      }),
      accept: 'application/json',
      signal: abort.signal,
      bodyTimeout: 0,
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return undefined;
    }
    for await (const ev of ndjson<{ type?: string; object?: Obj }>(res.body)) {
      const meta = ev.object?.['metadata'] as Obj | undefined;
      const annotations = meta?.['annotations'] as Obj | undefined;
      if (ev.type === 'BOOKMARK' && annotations?.['k8s.io/initial-events-end'] === 'true') {
        const rv = Number(meta?.['resourceVersion']);
        return Number.isSafeInteger(rv) && rv > 0 ? rv : undefined;
      }
      if (ev.type !== 'BOOKMARK') return undefined; // not a watch-list answer
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}
