// Serves a watch as the apiserver does for JSON: a chunked stream of `{"type":..,"object":..}`
// lines, periodic BOOKMARKs when asked, an end at timeoutSeconds, and a clean stop when the
// client goes away. A change is encoded once for all its watchers; a watcher whose client
// stops reading is dropped with a 410 once its buffer passes a bound.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../api/object.js';
import type { ListOptions } from '../registry/options.js';
import type { VirtualRegistry } from '../registry/registry.js';
import { type RegistryWatch, type WatchEvent, watch } from '../registry/watch.js';
import { gone } from '../api/status.js';
import type { OutputContext } from './output.js';
import { encodeWatchFrame, protobufWatchContentType } from '../protobuf/index.js';
import { INITIAL_EVENTS_END, initialEventsEnd, listTypeOf } from '../api/watch-list-blueprint.js';
import { partialMetadata, toTable } from './table.js';
import { convertingSend } from './watch-conversion.js';

/** The apiserver's default watch timeout bounds (minRequestTimeout 1800s, randomized up to 2x). */
const defaultTimeoutSeconds = 1800;
const bookmarkIntervalMs = 60_000;
/**
 * Bytes a watcher may have waiting for its client. Past it the watcher is dropped with a 410, as
 * the apiserver's watch cache drops a watcher whose channel stays full: buffering without bound
 * would let slow readers hold the server's memory.
 */
export const maxBufferedWatchBytes = 1024 * 1024;

/**
 * Encoded frames of one stored change, by encoding, event type and apiVersion: every watcher of
 * the change that sends the same frame shares one string (or Buffer) instead of its own copy.
 */
const sharedFrames = new WeakMap<object, Map<string, string | Uint8Array>>();

function sharedFrame(change: object, key: string, encode: () => string | Uint8Array): string | Uint8Array {
  let frames = sharedFrames.get(change);
  if (!frames) sharedFrames.set(change, (frames = new Map()));
  let f = frames.get(key);
  if (f === undefined) frames.set(key, (f = encode()));
  return f;
}

export function serveWatch(
  req: IncomingMessage,
  res: ServerResponse,
  reg: VirtualRegistry,
  namespace: string,
  name: string | undefined,
  opts: ListOptions,
  o: OutputContext,
): void {
  let ended = false;
  // eslint-disable-next-line prefer-const -- assigned once the watch starts, read by finish() before that
  let w: RegistryWatch | undefined;
  let firstTable = true;
  const timers: NodeJS.Timeout[] = [];
  const finish = (): void => {
    if (ended) return;
    ended = true;
    for (const t of timers) clearTimeout(t);
    w?.stop();
    if (!res.writableEnded) res.end();
    res.emit('drain');
  };
  res.writeHead(200, {
    'Content-Type': o.out.protobuf ? protobufWatchContentType : 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
    ...(o.warnings.length ? { Warning: o.warnings.map((x) => `299 - ${JSON.stringify(x)}`) } : {}),
  });
  res.flushHeaders();
  const list = listTypeOf(reg.apiVersion, reg.info.listKind, o.out.kind === 'partial');
  /** The initial-events-end bookmark names the empty list in the stream's encoding. */
  const withBlueprint = (b: KubeObject): KubeObject =>
    b.metadata?.annotations?.[INITIAL_EVENTS_END] === 'true'
      ? {
          ...b,
          metadata: {
            ...b.metadata,
            annotations: { ...b.metadata.annotations, ...initialEventsEnd(list, o.out.protobuf) },
          },
        }
      : b;
  const encode = (type: string, object: unknown): string | Uint8Array => {
    let obj = object;
    if (o.out.kind === 'table' && type !== 'ERROR' && type !== 'BOOKMARK') {
      obj = toTable(
        [object as KubeObject],
        { resourceVersion: (object as KubeObject).metadata?.resourceVersion },
        o.columns,
        o.includeObject,
        firstTable,
      );
      firstTable = false;
    } else if (o.out.kind === 'partial' && type !== 'ERROR') {
      obj = partialMetadata(object as KubeObject);
    }
    if (type === 'BOOKMARK') obj = withBlueprint(obj as KubeObject);
    if (!o.out.protobuf) return JSON.stringify({ type, object: obj }) + '\n';
    return encodeWatchFrame(type, obj as Record<string, unknown>);
  };
  // Plain objects are the same bytes for every watcher of a change; tables and metadata-only differ.
  const shareable = o.out.kind !== 'table' && o.out.kind !== 'partial';
  const write = (frame: string | Uint8Array): number => {
    res.write(frame);
    return frame.length;
  };
  const send = (e: WatchEvent): number => {
    if (ended) return 0;
    let frame: string | Uint8Array;
    try {
      frame =
        e.change && shareable
          ? sharedFrame(e.change, `${o.out.protobuf ? 'pb' : 'json'}\0${e.type}\0${reg.apiVersion}`, () =>
              encode(e.type, e.object),
            )
          : encode(e.type, e.object);
    } catch {
      // An object that does not fit its protobuf message ends the stream; the client relists.
      finish();
      return 0;
    }
    if (res.writableLength > maxBufferedWatchBytes) {
      // The client stopped reading: drop it with what a client relists on, not an unbounded buffer.
      write(
        encode(
          'ERROR',
          gone('the watcher fell too far behind its events and was dropped; watch again').status,
        ) as string,
      );
      finish();
      return 0;
    }
    return write(frame);
  };
  req.on('close', finish);
  res.on('close', finish);
  w = watch(reg, namespace, name, opts, {
    event: convertingSend(
      reg,
      send,
      () => setImmediate(finish),
      () => ended,
    ),
    close: () => setImmediate(finish),
    drained: () =>
      ended || !res.writableNeedDrain
        ? Promise.resolve()
        : new Promise<void>((resolve) => res.once('drain', resolve)),
  });
  const timeout =
    (opts.timeoutSeconds && opts.timeoutSeconds > 0 ? opts.timeoutSeconds : defaultTimeoutSeconds) * 1000;
  timers.push(setTimeout(finish, timeout));
  if (opts.allowWatchBookmarks) {
    const tick = (): void => {
      w?.bookmark();
      timers.push(setTimeout(tick, bookmarkIntervalMs));
    };
    timers.push(setTimeout(tick, Math.min(bookmarkIntervalMs, Math.max(0, timeout - 1000))));
  }
}
