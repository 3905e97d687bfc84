// Watches of host-backed resources: one host watch per host namespace (one for a namespace or a
// cluster-scoped view), merged into one stream for the tenant, every event rewritten, bookmarks
// merged (bookmark-merge.ts). When any host stream ends the tenant's watch ends; clients re-watch from their last version.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeWatchFrame, protobufWatchContentType } from '../protobuf/index.js';
import { bodyToVirtual, isHiddenHostObject } from '../rewrite/object-rewrite.js';
import type { NamespaceMap } from '../rewrite/namespace-translator.js';
import type { HostClient } from '../hostapi/host-client.js';
import { callHost, readJSON } from '../hostapi/host-request.js';
import type { Negotiated } from '../handlers/negotiate.js';
import { StatusError } from '../api/status.js';
import { ndjson } from '../api/ndjson.js';
import { blueprintForProtobuf } from '../api/watch-list-blueprint.js';
import { BookmarkMerge } from './bookmark-merge.js';

export interface WatchProxy {
  req: IncomingMessage;
  res: ServerResponse;
  host: HostClient;
  paths: string[];
  query: URLSearchParams;
  accept: string;
  out: Negotiated;
  map: NamespaceMap;
  /** Hides or sanitizes an event's object (host views); false drops the event. */
  keep?: (obj: Record<string, unknown>) => boolean;
  warnings: string[];
  /**
   * For watches across all namespaces: subscribes to namespaces that get a host namespace while the
   * watch runs (returns the unsubscribe). Their streams start with the current state (ADDED events),
   * which is new to this watch.
   */
  onNewPath?: (add: (path: string) => void) => () => void;
}

type Event = { type: string; object: Record<string, unknown> };

/** Host watches of one tenant watch opened at a time. */
const OPEN_AT_ONCE = 4;

export async function proxyWatch(w: WatchProxy): Promise<void> {
  // All of the watch's host streams are taken before the first host call, and given back when it ends.
  const held = w.host.reserveStreams(w.paths.length);
  try {
    await mergeWatches(w, held.host);
  } finally {
    held.release();
  }
}

async function mergeWatches(w: WatchProxy, host: HostClient): Promise<void> {
  const abort = new AbortController();
  // A few host watches opened at a time: each is a new connection (a TLS handshake on both sides),
  // and 20 at once from every admitted watch stalled the host for other tenants' requests.
  const responses: (Awaited<ReturnType<typeof callHost>> | Error)[] = [];
  let next = 0;
  const opener = async (): Promise<void> => {
    while (next < w.paths.length && !abort.signal.aborted) {
      const i = next++;
      responses[i] = await callHost(host, {
        method: 'GET',
        path: w.paths[i]!,
        query: w.query,
        accept: w.accept,
        signal: abort.signal,
        bodyTimeout: 0,
      }).catch((e: unknown) => e as Error);
      const r = responses[i];
      if (r instanceof Error || r!.statusCode !== 200) abort.abort();
    }
  };
  await Promise.all(Array.from({ length: Math.min(OPEN_AT_ONCE, w.paths.length) }, opener));
  const failed = responses.find((r) => r !== undefined && (r instanceof Error || r.statusCode !== 200));
  const opened = responses.filter((r) => r !== undefined).length;
  if (failed || opened < w.paths.length) {
    abort.abort();
    for (const r of responses) if (r && !(r instanceof Error) && r !== failed) r.body.destroy();
    if (!failed) throw new Error('host watch: aborted');
    if (failed instanceof Error) throw failed;
    const body = await readJSON(failed).catch(() => undefined);
    bodyToVirtual(body, w.map);
    if (body && typeof body === 'object' && (body as { kind?: string }).kind === 'Status')
      throw new StatusError(body as never);
    throw new Error(`host watch: ${failed.statusCode}`);
  }
  let single = w.paths.length === 1;
  let ended = false;
  // eslint-disable-next-line prefer-const -- assigned once the streams are up, read by finish() before that
  let unsubscribe: (() => void) | undefined;
  let tableHeaderSent = false;
  const finish = (): void => {
    if (ended) return;
    ended = true;
    unsubscribe?.();
    abort.abort();
    if (!w.res.writableEnded) w.res.end();
  };
  w.res.writeHead(200, {
    'Content-Type': w.out.protobuf ? protobufWatchContentType : 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
    ...(w.warnings.length ? { Warning: w.warnings.map((x) => `299 - ${JSON.stringify(x)}`) } : {}),
  });
  w.res.flushHeaders();
  w.req.on('close', finish);
  w.res.on('close', finish);

  const send = (ev: Event): void => {
    if (ended) return;
    if (ev.type !== 'BOOKMARK' && ev.type !== 'ERROR') {
      if (isHiddenHostObject(ev.object) || (w.keep && !w.keep(ev.object))) return;
    }
    bodyToVirtual(ev.object, w.map);
    if (ev.object['kind'] === 'Table') {
      // Column definitions once per tenant stream, as a single apiserver watch sends them.
      if (tableHeaderSent) ev.object['columnDefinitions'] = [];
      else if (Array.isArray(ev.object['columnDefinitions']) && ev.object['columnDefinitions'].length)
        tableHeaderSent = true;
    }
    if (!w.out.protobuf) w.res.write(JSON.stringify(ev) + '\n');
    else {
      if (ev.type === 'BOOKMARK') blueprintForProtobuf(ev.object);
      try {
        w.res.write(encodeWatchFrame(ev.type, ev.object));
      } catch {
        finish();
      }
    }
  };

  const bookmarks = new BookmarkMerge(w.paths.length, w.query.get('sendInitialEvents') === 'true');
  const onEvent = (idx: number, ev: Event): void => {
    if (single) return send(ev);
    const merged = bookmarks.observe(idx, ev.type, ev.object['metadata'] as never);
    if (ev.type !== 'BOOKMARK') return send(ev);
    if (merged) send({ type: 'BOOKMARK', object: { ...ev.object, metadata: merged } });
  };

  const consume = async (r: Awaited<ReturnType<typeof callHost>>, idx: number): Promise<void> => {
    try {
      for await (const ev of ndjson<Event>(r.body)) onEvent(idx, ev);
    } catch {
      // aborted or dropped: the tenant's watch ends below
    }
    finish();
  };
  unsubscribe = w.onNewPath?.((path) => {
    if (ended) return;
    single = false;
    const idx = bookmarks.addStream();
    const q = new URLSearchParams(w.query);
    q.delete('resourceVersion');
    q.delete('resourceVersionMatch');
    q.delete('sendInitialEvents');
    callHost(w.host, {
      method: 'GET',
      path,
      query: q,
      accept: w.accept,
      signal: abort.signal,
      bodyTimeout: 0,
    })
      .then((r) => (r.statusCode === 200 ? consume(r, idx) : finish()))
      .catch(finish);
  });
  await Promise.all(responses.map((r, i) => (r instanceof Error ? undefined : consume(r, i))));
}
