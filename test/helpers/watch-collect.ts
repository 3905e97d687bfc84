// Collects a watch stream's events as they come, in the encoding asked for (JSON lines, or
// protobuf frames decoded to JSON), with the response's status and content type.
import { ndjson } from '../../src/api/ndjson.js';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { WatchFrameReader, decodeWatchEvent } from '../../src/protobuf/watch-frames.js';

export interface CollectedEvent {
  type: string;
  object: {
    metadata?: {
      name?: string;
      namespace?: string;
      resourceVersion?: string;
      uid?: string;
      annotations?: Record<string, string>;
    };
  } & Record<string, unknown>;
}

export interface Collecting {
  events: CollectedEvent[];
  /** Every byte of the stream as text (protobuf frames as their decoded JSON). */
  text(): string;
  /** Resolves when the stream ends (by the server, or stop()). */
  done: Promise<void>;
  status(): number;
  contentType(): string;
  stop(): void;
}

export function collectWatch(client: HostClient, path: string, accept = 'application/json'): Collecting {
  const events: CollectedEvent[] = [];
  const abort = new AbortController();
  let contentType = '';
  let status = 0;
  let raw = '';
  const done = (async () => {
    try {
      const res = await client.streams.request({
        origin: client.origin,
        path: client.basePath + path,
        method: 'GET',
        headers: client.headers({ accept }),
        signal: abort.signal,
        bodyTimeout: 0,
      });
      status = res.statusCode;
      contentType = String(res.headers['content-type'] ?? '');
      if (contentType.startsWith('application/vnd.kubernetes.protobuf')) {
        const frames = new WatchFrameReader();
        for await (const chunk of res.body)
          for (const f of frames.push(chunk as Buffer)) {
            const ev = decodeWatchEvent(f) as CollectedEvent;
            raw += JSON.stringify(ev);
            events.push(ev);
          }
      } else {
        const tee = async function* () {
          for await (const chunk of res.body) {
            raw += (chunk as Buffer).toString();
            yield chunk as Buffer;
          }
        };
        for await (const ev of ndjson<CollectedEvent>(tee())) events.push(ev);
      }
    } catch {
      // stopped
    }
  })();
  return {
    events,
    text: () => raw,
    done,
    status: () => status,
    contentType: () => contentType,
    stop: () => abort.abort(),
  };
}

/** Polls `check` every 100 ms until it holds; throws after `ms`. */
export async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
