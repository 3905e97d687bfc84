// Small helpers over plain Kubernetes objects used by the registry.
import type { KubeObject } from '../api/object.js';
import { clonePlain, isObject } from '../api/object.js';

export const clone = clonePlain;

/** RFC 3339 with second precision, as metav1.Time serializes. */
export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** The object without metadata (and status when `withoutStatus`): what a generation covers. */
export function specPart(obj: KubeObject, withoutStatus: boolean): Record<string, unknown> {
  const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = obj;
  if (withoutStatus) delete rest['status'];
  return rest;
}

/** Compares two objects ignoring resourceVersion and managedFields timestamps (no-op detection). */
export function sameStoredContent(a: KubeObject, b: KubeObject): boolean {
  const norm = (o: KubeObject): KubeObject => {
    const c = clone(o);
    if (c.metadata) {
      delete c.metadata.resourceVersion;
      if (Array.isArray(c.metadata.managedFields)) {
        c.metadata.managedFields = c.metadata.managedFields.map((m) => {
          if (!isObject(m)) return m;
          const { time: _t, ...r } = m;
          return r;
        });
      }
    }
    return c;
  };
  return deepEqual(norm(a), norm(b));
}

/** Reads a simple `.a.b.c` JSON path (as used by scale subresource paths). */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const p of path.split('.').filter(Boolean)) {
    if (!isObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.').filter(Boolean);
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (!isObject(cur[p])) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts.at(-1)!] = value;
}
