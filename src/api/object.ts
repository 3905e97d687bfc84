// The JSON shape of Kubernetes objects as kplex handles them: plain parsed JSON, typed only as
// far as the generic machinery needs.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  selfLink?: string;
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [k: string]: unknown;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number; selfLink?: string };
  items: T[];
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A deep copy of a JSON value, equal to JSON.parse(JSON.stringify(v)) for the plain values kplex
 * handles (undefined members are left out, undefined array items become null). Strings are
 * immutable and shared, so copying costs the number of nodes, not the bytes: a 2.9 MB custom
 * resource copies in microseconds where parsing its text takes milliseconds (structuredClone is
 * ~10x slower than both on small objects). `__proto__` keys stay own data properties, as JSON.parse
 * makes them.
 */
export function cloneJSON<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map((x: unknown) => (x === undefined ? null : cloneJSON(x))) as T;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined) continue;
    if (k === '__proto__') {
      Object.defineProperty(out, k, {
        value: cloneJSON(x),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else out[k] = cloneJSON(x);
  }
  return out as T;
}

/**
 * A deep copy of plain data (objects, arrays, primitives), undefined members kept, as
 * structuredClone copies them, at the cost of cloneJSON (strings shared): structuredClone took
 * 3.6 ms for a 2.9 MB custom resource and ~80 µs for a Deployment, this 5 µs for either. Anything
 * else (a Date, a Map) is left to structuredClone.
 */
export function clonePlain<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(clonePlain) as T;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = clonePlain((v as Record<string, unknown>)[k]);
    if (k === '__proto__') {
      Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    } else out[k] = x;
  }
  return out as T;
}
