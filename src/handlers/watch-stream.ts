// Serves a watch as the apiserver does for JSON: a chunked stream of `{"type":..,"object":..}`
// lines, periodic BOOKMARKs when asked, an end at timeoutSeconds, and a clean stop when the
// client goes away.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../api/object.js';
import type { ListOptions } from '../registry/options.js';
import type { VirtualRegistry } from '../registry/registry.js';
import { type RegistryWatch, watch } from '../registry/watch.js';
import type { OutputContext } from './output.js';
import { encodeWatchFrame, protobufWatchContentType } from '../protobuf/index.js';
import { partialMetadata, toTable } from './table.js';

/** The apiserver's default watch timeout bounds (minRequestTimeout 1800s, randomized up to 2x). */
const defaultTimeoutSeconds = 1800;
const bookmarkIntervalMs = 60_000;

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
  };
  res.writeHead(200, {
    'Content-Type': o.out.protobuf ? protobufWatchContentType : 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
    ...(o.warnings.length ? { Warning: o.warnings.map((x) => `299 - ${JSON.stringify(x)}`) } : {}),
  });
  res.flushHeaders();
  const send = (type: string, object: unknown): void => {
    if (ended) return;
    let obj = object;
    if (o.out.kind === 'table' && type !== 'ERROR' && type !== 'BOOKMARK') {
      obj = toTable([object as KubeObject], { resourceVersion: (object as KubeObject).metadata?.resourceVersion }, o.columns, o.includeObject, firstTable);
      firstTable = false;
    } else if (o.out.kind === 'partial' && type !== 'ERROR') {
      obj = partialMetadata(object as KubeObject);
    }
    if (!o.out.protobuf) {
      res.write(JSON.stringify({ type, object: obj }) + '\n');
      return;
    }
    try {
      res.write(encodeWatchFrame(type, obj as Record<string, unknown>));
    } catch {
      // An object that does not fit its protobuf message ends the stream; the client relists.
      finish();
    }
  };
  req.on('close', finish);
  res.on('close', finish);
  w = watch(reg, namespace, name, opts, {
    event: (e) => send(e.type, e.object),
    close: () => setImmediate(finish),
  });
  const timeout = (opts.timeoutSeconds && opts.timeoutSeconds > 0 ? opts.timeoutSeconds : defaultTimeoutSeconds) * 1000;
  timers.push(setTimeout(finish, timeout));
  if (opts.allowWatchBookmarks) {
    const tick = (): void => {
      w?.bookmark();
      timers.push(setTimeout(tick, bookmarkIntervalMs));
    };
    timers.push(setTimeout(tick, Math.min(bookmarkIntervalMs, Math.max(0, timeout - 1000))));
  }
}
