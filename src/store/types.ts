// The virtual store's contract: one SQLite database per tenant, one generic object table for
// every virtual resource, a per-tenant monotonic resourceVersion and a change log for watches.
import type { KubeObject } from '../api/object.js';

/** Identifies one object. `namespace` is '' for cluster-scoped objects. */
export interface ObjectKey {
  group: string;
  resource: string;
  namespace: string;
  name: string;
}

export interface StoredObject {
  key: ObjectKey;
  /** The resourceVersion at which this object was last written (also in metadata.resourceVersion). */
  rv: number;
  object: KubeObject;
  /**
   * The stored JSON text when the object was read from the store (`object` is then parsed from it
   * on first use): a LIST that serves stored objects unchanged writes this text as it is.
   */
  json?: string;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ChangeEvent {
  rv: number;
  type: ChangeType;
  key: ObjectKey;
  /** The object after the change (for DELETED: the last state, with the deletion's rv). */
  object: KubeObject;
}

export interface ListQuery {
  group: string;
  resource: string;
  /** Restrict to one namespace; undefined lists all namespaces (or cluster-scoped objects). */
  namespace?: string;
  /** Continue after this `namespace/name` (exclusive), in key order. */
  after?: string;
  limit?: number;
  /** Only objects whose rv is <= this (used to serve a consistent continued list). */
  atMostRV?: number;
  /**
   * Fewer items than `limit` when their stored JSON would pass this many bytes (always at least
   * one): a streamed LIST reads pages of about this size, whatever its objects' sizes.
   */
  maxBytes?: number;
}

export interface ListResult {
  items: StoredObject[];
  /** The store's resourceVersion when the list was read. */
  rv: number;
  /** Set when `limit` cut the list: the `namespace/name` of the last item returned. */
  last?: string;
  /** How many matching items remain after `last` (for remainingItemCount). */
  remaining?: number;
  /** Size of the items' stored JSON (lets a streaming reader size its next page). */
  bytes?: number;
}

export interface WatchQuery {
  group: string;
  resource: string;
  namespace?: string;
  /** Deliver every change with rv > fromRV. Throws a 410 Expired StatusError if the log no longer reaches back that far. */
  fromRV: number;
}

export interface Watcher {
  stop(): void;
}

export interface TenantStore {
  readonly tenant: string;
  currentRV(): number;
  /** The returned object is the caller's own copy (freshly decoded): it may be mutated. */
  get(key: ObjectKey): StoredObject | undefined;
  /** Every returned object is the caller's own copy, as for get. */
  list(q: ListQuery): ListResult;
  /** Throws AlreadyExists. Sets metadata.resourceVersion to the new rv. */
  create(key: ObjectKey, object: KubeObject): StoredObject;
  /** Throws NotFound; throws Conflict when expectedRV is given and differs. */
  update(key: ObjectKey, object: KubeObject, expectedRV?: number): StoredObject;
  /** Removes the object; throws NotFound / Conflict as update does. */
  delete(key: ObjectKey, expectedRV?: number): StoredObject;
  /** Runs `fn` atomically: all writes commit together (one fsync) or none do. */
  transaction<T>(fn: () => T): T;
  /** Resolves once every write committed so far is on disk: a write is acknowledged after it. */
  durable(): Promise<void>;
  /** Subscribes to changes; events arrive in rv order, each exactly once. */
  watch(q: WatchQuery, onEvent: (e: ChangeEvent) => void): Watcher;
  /** The oldest rv a watch can start from (older ones get 410 Gone). */
  oldestWatchableRV(): number;
  /**
   * The rv of the latest retained change of one resource (0 if none): it moves on every write of
   * that resource and only then, so caches of a few resources key on it instead of currentRV.
   */
  lastChangeRV(group: string, resource: string): number;
  /** The key of the object whose metadata.uid is `uid` (indexed). */
  keyOfUid(uid: string): ObjectKey | undefined;
  /** The keys of the objects naming `uid` in metadata.ownerReferences, in key order (indexed). */
  dependentsOf(uid: string): ObjectKey[];
  /** The uids ownerReferences name that no object of the store has (host-backed or gone owners; indexed). */
  externalOwners?(): string[];
}
