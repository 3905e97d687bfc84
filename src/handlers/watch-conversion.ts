// Watch events of a CRD with a conversion webhook: an object stored in another version than the
// watch's is converted before it is sent, in order (later events wait behind a conversion), and
// once per stored change and version however many watchers there are (as the apiserver's watch
// cache of a version decodes an event once). A failed conversion ends the watch with an ERROR.
import type { KubeObject } from '../api/object.js';
import { toStatusError } from '../api/status.js';
import type { VirtualRegistry } from '../registry/registry.js';
import type { WatchEvent } from '../registry/watch.js';

const converted = new WeakMap<object, Map<string, Promise<KubeObject>>>();

function convertOnce(reg: VirtualRegistry, e: WatchEvent): Promise<KubeObject> {
  const one = async (): Promise<KubeObject> => (await reg.served([e.object as KubeObject]))[0]!;
  if (!e.change) return one();
  let byVersion = converted.get(e.change);
  if (!byVersion) converted.set(e.change, (byVersion = new Map()));
  let p = byVersion.get(reg.apiVersion);
  if (!p) byVersion.set(reg.apiVersion, (p = one()));
  return p;
}

/** `send` wrapped so that events reach it converted and in order; `fail` ends the watch. */
export function convertingSend(
  reg: VirtualRegistry,
  send: (e: WatchEvent) => number,
  fail: (err: unknown) => void,
  stopped: () => boolean,
): (e: WatchEvent) => number {
  if (!reg.deps.converter) return send;
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;
  const needs = (e: WatchEvent): boolean =>
    e.type !== 'ERROR' && e.type !== 'BOOKMARK' && (e.object as KubeObject).apiVersion !== reg.apiVersion;
  return (e) => {
    if (pending === 0 && !needs(e)) return send(e);
    pending++;
    queue = queue.then(async () => {
      try {
        if (stopped()) return;
        if (!needs(e)) {
          send(e);
          return;
        }
        let object: KubeObject;
        try {
          object = await convertOnce(reg, e);
        } catch (err) {
          send({ type: 'ERROR', object: toStatusError(err).status });
          fail(err);
          return;
        }
        if (!stopped()) send({ type: e.type, object });
      } finally {
        pending--;
      }
    });
    return 0;
  };
}
