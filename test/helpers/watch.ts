// Collects the events of a watch stream (JSON lines) until stopped.
import { ndjson } from '../../src/api/ndjson.js';
import type { HostClient } from '../../src/hostapi/host-client.js';

export interface WatchEvent {
  type: string;
  object: { metadata?: { name?: string; resourceVersion?: string }; [k: string]: unknown };
}

export interface Watching {
  events: WatchEvent[];
  /** Resolves when the stream ends (server closed or stop()). */
  done: Promise<void>;
  stop(): void;
}

export function watch(client: HostClient, path: string): Watching {
  const events: WatchEvent[] = [];
  const abort = new AbortController();
  const done = (async () => {
    try {
      const res = await client.dispatcher.request({
        origin: client.origin,
        path: client.basePath + path,
        method: 'GET',
        headers: client.headers({ accept: 'application/json' }),
        signal: abort.signal,
        bodyTimeout: 0,
      });
      for await (const ev of ndjson<WatchEvent>(res.body)) events.push(ev);
    } catch {
      // aborted or connection cut (e.g. the server was killed): the events so far stand
    }
  })();
  return { events, done, stop: () => abort.abort() };
}
