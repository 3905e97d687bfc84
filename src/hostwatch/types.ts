// What a shared host watch keeps per object and per event.
export type Obj = Record<string, unknown>;

/** One host object as the cache keeps it. */
export interface CachedItem {
  /** Host namespace ('' for cluster-scoped objects). */
  ns: string;
  name: string;
  /** The object selectors and kplex's own checks read (a Table row's object). */
  object: Obj;
  /** What the host sent: the object itself, or a Table of this one row. */
  value: Obj;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One host event, with the object's state before it (what a selector watch needs to say ADDED or DELETED). */
export interface CachedEvent {
  type: ChangeType;
  item: CachedItem;
  prev?: CachedItem;
  rv: number;
  /** The event's size as the host sent it (the ring's byte bound). */
  bytes: number;
}
