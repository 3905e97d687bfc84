// WATCH semantics over the store's change log: selectors (objects leaving a selection arrive
// as DELETED), sendInitialEvents with the `k8s.io/initial-events-end` bookmark, and the
// cacher's behaviour for a too-old resourceVersion: an ERROR event carrying 410 Expired.
import type { KubeObject } from '../api/object.js';
import { type Status, toStatusError } from '../api/status.js';
import type { ChangeEvent, Watcher } from '../store/types.js';
import { clone } from './object-utils.js';
import type { ListOptions } from './options.js';
import { parseResourceVersion, predicateFor, validateListOptions } from './list.js';
import type { VirtualRegistry } from './registry.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject | Status;
}

export interface WatchSink {
  event(e: WatchEvent): void;
  /** The watch ended on its own (an ERROR was sent). */
  close(): void;
}

export const initialEventsEndAnnotation = 'k8s.io/initial-events-end';

export interface RegistryWatch extends Watcher {
  /** The resourceVersion events are known to be delivered up to (for bookmarks). */
  currentRV(): number;
  bookmark(): void;
}

export function watch(reg: VirtualRegistry, namespace: string, name: string | undefined, o: ListOptions, sink: WatchSink): RegistryWatch {
  validateListOptions({ ...o, watch: true });
  const pred = predicateFor(reg, o);
  const ns = reg.info.namespaced && namespace ? namespace : undefined;
  const matches = (obj: KubeObject): boolean =>
    (!name || obj.metadata?.name === name) && (!ns || obj.metadata?.namespace === ns) && pred.matches(obj);
  const store = reg.store;
  let lastRV = store.currentRV();
  const bookmarkObject = (rv: number, annotations?: Record<string, string>): KubeObject => ({
    apiVersion: reg.apiVersion,
    kind: reg.info.kind,
    metadata: { resourceVersion: String(rv), ...(annotations ? { annotations } : {}) },
  });
  const seen = new Set<string>();
  const keyOf = (e: { key: { namespace: string; name: string } }): string => `${e.key.namespace}/${e.key.name}`;

  let fromRV: number;
  const requested = parseResourceVersion(o.resourceVersion);
  const initial = o.sendInitialEvents === true || (o.sendInitialEvents === undefined && (requested === undefined || requested === 0));
  if (initial) {
    // Initial state as ADDED events (a list at the current rv), then the change log from there.
    const snapshot = store.list({ group: reg.info.group, resource: reg.info.resource, namespace: ns });
    fromRV = snapshot.rv;
    lastRV = snapshot.rv;
    for (const s of snapshot.items) {
      if (!matches(s.object)) continue;
      seen.add(keyOf(s));
      sink.event({ type: 'ADDED', object: reg.withTypeMeta(s.object) }); // the list's own copy
    }
    if (o.sendInitialEvents === true && o.allowWatchBookmarks) {
      sink.event({ type: 'BOOKMARK', object: bookmarkObject(fromRV, { [initialEventsEndAnnotation]: 'true' }) });
    }
  } else {
    fromRV = requested!;
  }

  const onChange = (e: ChangeEvent): void => {
    lastRV = Math.max(lastRV, e.rv);
    const k = keyOf(e);
    // Change events are shared by every watcher of the tenant: copy, but only what is sent.
    const obj = (): KubeObject => reg.withTypeMeta(clone(e.object));
    const now = matches(e.object);
    if (e.type === 'DELETED') {
      if (now || seen.has(k)) sink.event({ type: 'DELETED', object: obj() });
      seen.delete(k);
      return;
    }
    if (now) {
      sink.event({ type: e.type === 'ADDED' || (!seen.has(k) && initial) ? 'ADDED' : e.type, object: obj() });
      seen.add(k);
    } else if (seen.has(k)) {
      seen.delete(k);
      sink.event({ type: 'DELETED', object: obj() });
    }
  };

  let inner: Watcher | undefined;
  try {
    inner = store.watch({ group: reg.info.group, resource: reg.info.resource, namespace: ns, fromRV }, onChange);
  } catch (err) {
    // Like the cacher's errWatcher: the request succeeds and the stream carries one ERROR event.
    sink.event({ type: 'ERROR', object: toStatusError(err).status });
    sink.close();
    return { stop() {}, currentRV: () => lastRV, bookmark() {} };
  }
  return {
    stop: () => inner?.stop(),
    currentRV: () => lastRV,
    bookmark: () => {
      if (o.allowWatchBookmarks) sink.event({ type: 'BOOKMARK', object: bookmarkObject(Math.max(lastRV, fromRV)) });
    },
  };
}
