// A tenant's view of a shared read-only layer (the bootstrap policy) under its own store: the
// tenant's objects win, and its changes to layer objects are stored as its own delta.
//
// How a layer object behaves (docs/architecture.md, "Identity"):
// - unchanged, it is served from the layer with resourceVersion BOOTSTRAP_RV (1): it exists
//   before any write of the tenant, so list/watch from any version never miss it;
// - the first update stores the new object in the tenant's store (a fresh rv, MODIFIED event);
// - a delete stores a tombstone under the same key (a fresh rv, DELETED event); re-creating it
//   replaces the tombstone (ADDED event).
// Stored rows of layer keys carry a hidden marker (what the previous visible state was), so the
// change log alone says which event a watcher sees; the marker never leaves this module.
import { clonePlain } from '../api/object.js';
import type { KubeObject } from '../api/object.js';
import { alreadyExists, conflict, notFound } from '../api/status.js';
import { compareListKeys, formatListKey, parseListKey } from '../store/list-key.js';
import { optimisticLockMessage } from '../store/sqlite-tenant-store.js';
import type {
  ChangeEvent,
  ListQuery,
  ListResult,
  ObjectKey,
  StoredObject,
  TenantStore,
  WatchQuery,
  Watcher,
} from '../store/types.js';
import type { BootstrapLayer } from './bootstrap-policy.js';

const MARK = '__kplexOverlay';
interface Mark {
  deleted?: boolean;
  /** The key was visible just before this row was written (MODIFIED rather than ADDED). */
  wasVisible?: boolean;
}

const markOf = (o: KubeObject): Mark | undefined => (o as Record<string, unknown>)[MARK] as Mark | undefined;
const withMark = (o: KubeObject, m: Mark): KubeObject => ({ ...o, [MARK]: m });
function strip(o: KubeObject): KubeObject {
  if (!(MARK in o)) return o;
  const { [MARK]: _m, ...rest } = o as Record<string, unknown>;
  void _m;
  return rest as KubeObject;
}
const stripStored = (s: StoredObject): StoredObject => ({ ...s, object: strip(s.object) });
const copy = (s: StoredObject): StoredObject => ({
  key: { ...s.key },
  rv: s.rv,
  object: clonePlain(s.object) as KubeObject,
});

export class OverlayStore implements TenantStore {
  /** Bumped on every write to a layered resource (caches of effective objects key on it). */
  generation = 0;
  /** Keys of layered resources written in the open transaction (told again if it rolls back). */
  private txWrites: ObjectKey[] = [];
  private txDepth = 0;

  /** `onWrite` hears of every key of a layered resource about to be written, and again on rollback. */
  constructor(
    private readonly inner: () => TenantStore,
    private readonly layer: BootstrapLayer,
    private readonly onWrite?: (key: ObjectKey) => void,
  ) {}

  get tenant(): string {
    return this.inner().tenant;
  }
  currentRV(): number {
    return this.inner().currentRV();
  }
  oldestWatchableRV(): number {
    return this.inner().oldestWatchableRV();
  }
  transaction<T>(fn: () => T): T {
    const mark = this.txWrites.length;
    this.txDepth++;
    try {
      return this.inner().transaction(fn);
    } catch (err) {
      // What was written is undone: whoever read those keys meanwhile must read them again.
      for (const key of this.txWrites.slice(mark)) this.bump(key);
      this.txWrites.length = mark;
      throw err;
    } finally {
      if (--this.txDepth === 0) this.txWrites = [];
    }
  }
  durable(): Promise<void> {
    return this.inner().durable();
  }
  lastChangeRV(group: string, resource: string): number {
    return this.inner().lastChangeRV(group, resource);
  }

  keyOfUid(uid: string): ObjectKey | undefined {
    const own = this.inner().keyOfUid(uid);
    const key = own ?? layerUids(this.layer).get(uid);
    // A tombstone row keeps the uid of the layer object it hides.
    return key && this.get(key)?.object.metadata?.uid === uid ? { ...key } : undefined;
  }

  dependentsOf(uid: string): ObjectKey[] {
    // Layer objects have no ownerReferences; tombstones are filtered out.
    return this.inner()
      .dependentsOf(uid)
      .filter((k) => !this.layer.get(k) || this.get(k) !== undefined);
  }

  private layered(q: { group: string; resource: string }): boolean {
    return this.layer.resources.has(`${q.group}/${q.resource}`);
  }

  get(key: ObjectKey): StoredObject | undefined {
    const s = this.inner().get(key);
    const base = this.layer.get(key);
    if (!base) return s;
    if (s) return markOf(s.object)?.deleted ? undefined : stripStored(s);
    return copy(base);
  }

  list(q: ListQuery): ListResult {
    return this.merged(q, copy);
  }

  /** A list whose layer objects are the shared frozen ones (no copies): for read-only indexes. */
  listShared(q: ListQuery): ListResult {
    return this.merged(q, (s) => s);
  }

  /**
   * The tenant's rows merged with the layer in key order, a row (or tombstone) hiding the layer
   * object of its key. The tenant's rows are read a page at a time from `after` (at the snapshot
   * `atMostRV`, as the store rebuilds it), so a page costs its size, not the collection's.
   */
  private merged(q: ListQuery, share: (s: StoredObject) => StoredObject): ListResult {
    if (!this.layered(q)) return this.inner().list(q);
    const inner = this.inner();
    const scope = { group: q.group, resource: q.resource, namespace: q.namespace };
    const after = q.after !== undefined ? parseListKey(q.after) : undefined;
    const base = this.layer
      .list(q.group, q.resource, q.namespace)
      .filter((s) => !after || compareListKeys(s.key, after) > 0);
    const limit = q.limit !== undefined && q.limit > 0 ? Math.floor(q.limit) : undefined;
    let cursor = q.after;
    let rv: number | undefined;
    let rows: StoredObject[] = [];
    let ri = 0;
    let rowsDone = false;
    const nextRow = (): StoredObject | undefined => {
      if (ri < rows.length || rowsDone) return rows[ri];
      const page = inner.list({
        ...scope,
        after: cursor,
        limit: limit === undefined ? undefined : Math.max(limit, 100),
        atMostRV: q.atMostRV,
      });
      rv ??= page.rv;
      rows = page.items;
      ri = 0;
      if (page.last === undefined) rowsDone = true;
      else cursor = page.last;
      return rows[0];
    };
    const items: StoredObject[] = [];
    let bi = 0;
    while (limit === undefined || items.length < limit) {
      const row = nextRow();
      const b = base[bi];
      if (!row && !b) break;
      const c = !row ? 1 : !b ? -1 : compareListKeys(row.key, b.key);
      if (c > 0) {
        items.push(share(b!));
        bi++;
        continue;
      }
      ri++;
      if (c === 0) bi++;
      if (!markOf(row!.object)?.deleted) items.push(stripStored(row!));
    }
    const result: ListResult = { items, rv: rv ?? inner.currentRV() };
    if (limit !== undefined && items.length === limit) {
      const remaining = this.remainingAfter(
        scope,
        rows.length - ri,
        rowsDone ? undefined : cursor,
        base.slice(bi),
        q.atMostRV,
      );
      if (remaining > 0) {
        const last = items[items.length - 1]!;
        result.last = formatListKey(last.key);
        result.remaining = remaining;
      }
    }
    return result;
  }

  /** How many merged items follow a page: the tenant's rows left, less tombstones, plus the layer objects no row hides. */
  private remainingAfter(
    scope: { group: string; resource: string; namespace?: string },
    bufferedRows: number,
    cursor: string | undefined,
    layerRest: StoredObject[],
    atMostRV: number | undefined,
  ): number {
    const inner = this.inner();
    let rows = bufferedRows;
    if (cursor !== undefined) {
      const more = inner.list({ ...scope, after: cursor, limit: 1, atMostRV });
      rows += more.items.length + (more.remaining ?? 0);
    }
    let visibleLayer = 0;
    let tombstones = 0;
    for (const b of layerRest) {
      const own = inner.get(b.key);
      if (!own) visibleLayer++;
      else if (markOf(own.object)?.deleted) tombstones++;
    }
    return rows - tombstones + visibleLayer;
  }

  create(key: ObjectKey, object: KubeObject): StoredObject {
    this.bump(key);
    if (!this.layer.get(key)) return this.inner().create(key, object);
    const s = this.inner().get(key);
    if (!s || !markOf(s.object)?.deleted) throw alreadyExists(key, key.name);
    return stripStored(this.inner().update(key, withMark(object, { wasVisible: false })));
  }

  update(key: ObjectKey, object: KubeObject, expectedRV?: number): StoredObject {
    this.bump(key);
    const base = this.layer.get(key);
    if (!base) return this.inner().update(key, object, expectedRV);
    const s = this.inner().get(key);
    if (!s) {
      if (expectedRV !== undefined && expectedRV !== base.rv)
        throw conflict(key, key.name, optimisticLockMessage);
      return stripStored(this.inner().create(key, withMark(object, { wasVisible: true })));
    }
    if (markOf(s.object)?.deleted) throw notFound(key, key.name);
    return stripStored(this.inner().update(key, withMark(object, { wasVisible: true }), expectedRV));
  }

  delete(key: ObjectKey, expectedRV?: number): StoredObject {
    this.bump(key);
    const base = this.layer.get(key);
    if (!base) return this.inner().delete(key, expectedRV);
    const s = this.inner().get(key);
    if (!s) {
      if (expectedRV !== undefined && expectedRV !== base.rv)
        throw conflict(key, key.name, optimisticLockMessage);
      return stripStored(
        this.inner().create(key, withMark(clonePlain(base.object) as KubeObject, { deleted: true })),
      );
    }
    if (markOf(s.object)?.deleted) throw notFound(key, key.name);
    return stripStored(this.inner().update(key, withMark(strip(s.object), { deleted: true }), expectedRV));
  }

  watch(q: WatchQuery, onEvent: (e: ChangeEvent) => void): Watcher {
    if (!this.layered(q)) return this.inner().watch(q, onEvent);
    return this.inner().watch(q, (e) => onEvent(translate(e)));
  }

  private bump(key: ObjectKey): void {
    if (!this.layered(key)) return;
    this.generation++;
    if (this.txDepth > 0) this.txWrites.push({ ...key });
    this.onWrite?.(key);
  }
}

const uidMaps = new WeakMap<BootstrapLayer, Map<string, ObjectKey>>();

/** The layer's objects by uid (built once per layer). */
function layerUids(layer: BootstrapLayer): Map<string, ObjectKey> {
  let m = uidMaps.get(layer);
  if (!m) {
    m = new Map();
    for (const gr of layer.resources) {
      const [group, resource] = gr.split('/') as [string, string];
      for (const s of layer.list(group, resource)) {
        const uid = s.object.metadata?.uid;
        if (uid) m.set(uid, s.key);
      }
    }
    uidMaps.set(layer, m);
  }
  return m;
}

/** The event a watcher of the merged view sees for one change of the tenant's store. */
function translate(e: ChangeEvent): ChangeEvent {
  const m = markOf(e.object);
  if (!m) return e;
  const object = strip(e.object);
  if (m.deleted) return { ...e, type: 'DELETED', object };
  return { ...e, type: m.wasVisible ? 'MODIFIED' : 'ADDED', object };
}
