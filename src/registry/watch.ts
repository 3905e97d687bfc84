// WATCH semantics over the store's change log: selectors (objects leaving a selection arrive
// as DELETED), sendInitialEvents with the `k8s.io/initial-events-end` bookmark, and the
// cacher's behaviour for a too-old resourceVersion: an ERROR event carrying 410 Expired.
// A watcher costs memory for what it sends, not for the collection: the initial state streams
// from the store with backpressure, and change events carry the shared change for one encoding.
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { cpuTurn } from '../limits/cpu-lanes.js';
import type { KubeObject } from '../api/object.js';
import { type Status, toStatusError } from '../api/status.js';
import type { ChangeEvent, Watcher } from '../store/types.js';
import { clone } from './object-utils.js';
import type { ListOptions } from './options.js';
import { parseResourceVersion, predicateFor, streamList, validateListOptions } from './list.js';
import type { VirtualRegistry } from './registry.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject | Status;
  /**
   * The stored change this event renders. Every watcher of the change gets the same one, so a sink
   * may encode (type, version, change) once and share the bytes; `object` is then never built.
   */
  change?: ChangeEvent;
}

export interface WatchSink {
  /** Sends one event; returns the bytes it took (0 or nothing when unknown). */
  event(e: WatchEvent): number | void;
  /** The watch ended on its own (an ERROR was sent). */
  close(): void;
  /** Resolves once the client took what was sent: initial events are read from the store only as fast as that. */
  drained?(): Promise<void>;
}

const initialEventsEndAnnotation = 'k8s.io/initial-events-end';

export interface RegistryWatch extends Watcher {
  /** The resourceVersion events are known to be delivered up to (for bookmarks). */
  currentRV(): number;
  bookmark(): void;
}

/** Initial events sent between two yields to the event loop. */
const YIELD_EVERY = 64;

/** Thrown into the initial list's stream to stop reading once the watch is stopped. */
const stoppedSignal = new Error('watch stopped');

export function watch(
  reg: VirtualRegistry,
  namespace: string,
  name: string | undefined,
  o: ListOptions,
  sink: WatchSink,
): RegistryWatch {
  validateListOptions({ ...o, watch: true });
  const pred = predicateFor(reg, o);
  const ns = reg.info.namespaced && namespace ? namespace : undefined;
  const matches = (obj: KubeObject): boolean =>
    (!name || obj.metadata?.name === name) && (!ns || obj.metadata?.namespace === ns) && pred.matches(obj);
  const store = reg.store;
  let lastRV = store.currentRV();
  let stopped = false;
  let inner: Watcher | undefined;
  const bookmarkObject = (rv: number, annotations?: Record<string, string>): KubeObject => ({
    apiVersion: reg.apiVersion,
    kind: reg.info.kind,
    metadata: { resourceVersion: String(rv), ...(annotations ? { annotations } : {}) },
  });
  // Which objects this watcher has shown: only needed with selectors (an object leaving the
  // selection arrives as DELETED). Without them every change of the key passes, and this set
  // would cost memory per object of the collection for every watcher.
  const seen = pred.empty ? undefined : new Set<string>();
  const keyOf = (e: { key: { namespace: string; name: string } }): string =>
    `${e.key.namespace}/${e.key.name}`;
  const fail = (err: unknown): void => {
    // Like the cacher's errWatcher: the request succeeds and the stream carries one ERROR event.
    sink.event({ type: 'ERROR', object: toStatusError(err).status });
    sink.close();
  };

  const requested = parseResourceVersion(o.resourceVersion);
  const initial =
    o.sendInitialEvents === true ||
    (o.sendInitialEvents === undefined && (requested === undefined || requested === 0));
  let fromRV = initial ? lastRV : requested!;

  const onChange = (e: ChangeEvent): void => {
    lastRV = Math.max(lastRV, e.rv);
    const k = keyOf(e);
    // Change events are shared by every watcher of the tenant: copy, but only what is sent.
    const send = (type: WatchEventType): void => {
      let built: KubeObject | undefined;
      sink.event({
        type,
        change: e,
        get object() {
          return (built ??= reg.withTypeMeta(clone(e.object)));
        },
      });
    };
    const now = matches(e.object);
    if (e.type === 'DELETED') {
      if (now || seen?.has(k)) send('DELETED');
      seen?.delete(k);
      return;
    }
    if (now) {
      send(e.type === 'ADDED' || (seen && !seen.has(k) && initial) ? 'ADDED' : e.type);
      seen?.add(k);
    } else if (seen?.has(k)) {
      seen.delete(k);
      send('DELETED');
    }
  };

  const subscribe = (): void => {
    if (stopped) return;
    try {
      inner = store.watch(
        { group: reg.info.group, resource: reg.info.resource, namespace: ns, fromRV },
        onChange,
      );
    } catch (err) {
      fail(err);
    }
  };

  if (initial) {
    // The initial state as ADDED events, streamed from one store snapshot a page at a time and
    // only as fast as the client reads (never a copy of the collection), then the change log
    // from that snapshot on.
    void (async () => {
      let sent = 0;
      try {
        const meta = await streamList(
          reg,
          namespace,
          { labelSelector: o.labelSelector, fieldSelector: o.fieldSelector },
          {
            begin() {},
            // A tenant's initial states and LIST pages take turns a page at a time (its CPU lane):
            // hundreds of watchers of one tenant never fill the event loop other tenants share.
            turn: () => cpuTurn(reg.deps.tenant),
            async item(obj) {
              if (stopped) throw stoppedSignal;
              if (!matches(obj)) return 0;
              seen?.add(`${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`);
              const bytes = sink.event({ type: 'ADDED', object: obj }) || 0;
              // Yield now and then inside a page, so a page is never one long turn of the event loop.
              if (++sent % YIELD_EVERY === 0) await setImmediatePromise();
              return bytes;
            },
            // Between pages, with the turn released: read on only as fast as the client takes it.
            flush: async () => {
              if (stopped) throw stoppedSignal;
              await sink.drained?.();
            },
          },
        );
        if (stopped) return;
        fromRV = Number(meta.resourceVersion);
        lastRV = fromRV;
        if (o.sendInitialEvents === true && o.allowWatchBookmarks) {
          sink.event({
            type: 'BOOKMARK',
            object: bookmarkObject(fromRV, { [initialEventsEndAnnotation]: 'true' }),
          });
        }
        subscribe();
      } catch (err) {
        if (err !== stoppedSignal && !stopped) fail(err);
      }
    })();
  } else {
    subscribe();
  }

  return {
    stop: () => {
      stopped = true;
      inner?.stop();
    },
    currentRV: () => lastRV,
    bookmark: () => {
      if (o.allowWatchBookmarks && inner && !stopped)
        sink.event({ type: 'BOOKMARK', object: bookmarkObject(Math.max(lastRV, fromRV)) });
    },
  };
}
