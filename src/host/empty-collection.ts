// A collection in tenant namespaces that have no host namespace yet (none was ever written to) is
// empty, and kplex answers it itself: asking the host about a placeholder namespace needs rights
// there that a least-privileged kplex does not have, and the host's 403 named kplex's own host
// identity. The resourceVersion is the host's current one (a namespaces read of one item), so a
// client's list-then-watch resumes correctly once objects appear.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { initialEventsEnd, listTypeOf } from '../api/watch-list-blueprint.js';
import type { Negotiated } from '../handlers/negotiate.js';
import type { HostClient } from '../hostapi/host-client.js';
import { encodeWatchFrame, protobufWatchContentType } from '../protobuf/index.js';
import { type ResourceInfo, groupVersion } from '../resources/types.js';

/** The apiserver's watch lifetime without timeoutSeconds: --min-request-timeout (1800 s). */
const DEFAULT_WATCH_SECONDS = 1800;

/** The host's current resourceVersion (etcd's revision is one for every resource). */
export async function currentResourceVersion(host: HostClient): Promise<string> {
  const res = await host.must<{ metadata?: { resourceVersion?: string } }>(
    'GET',
    '/api/v1/namespaces?limit=1',
  );
  return res.body.metadata?.resourceVersion ?? '';
}

/** The empty list of `row`, as the apiserver answers a list of an empty namespace. */
export function emptyList(row: ResourceInfo, resourceVersion: string): Record<string, unknown> {
  return { kind: row.listKind, apiVersion: groupVersion(row), metadata: { resourceVersion }, items: [] };
}

/** A watch that has nothing to send: the initial-events-end bookmark if asked, then open until its timeout. */
export function serveEmptyWatch(
  req: IncomingMessage,
  res: ServerResponse,
  row: ResourceInfo,
  out: Negotiated,
  query: URLSearchParams,
  resourceVersion: string,
): void {
  res.writeHead(200, {
    'Content-Type': out.protobuf ? protobufWatchContentType : 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
  });
  if (query.get('sendInitialEvents') === 'true') {
    const object = {
      kind: row.kind,
      apiVersion: groupVersion(row),
      metadata: {
        resourceVersion,
        annotations: initialEventsEnd(
          listTypeOf(groupVersion(row), row.listKind, out.kind === 'partial'),
          out.protobuf,
        ),
      },
    };
    res.write(
      out.protobuf
        ? encodeWatchFrame('BOOKMARK', object)
        : JSON.stringify({ type: 'BOOKMARK', object }) + '\n',
    );
  }
  res.flushHeaders();
  const seconds = Number(query.get('timeoutSeconds'));
  const ms = (Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_WATCH_SECONDS) * 1000;
  const timer = setTimeout(() => res.end(), ms);
  const stop = (): void => clearTimeout(timer);
  req.once('close', stop);
  res.once('close', stop);
}
