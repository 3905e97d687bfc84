// The two forms a shared host watch is kept in: plain objects, and Table rows with their objects
// (kubectl get -w), each one host watch per resource type. Table cells are the host's own, so a
// tenant's `kubectl get -w` prints exactly what the host prints.
import { isObject } from '../api/object.js';
import type { CachedItem, Obj } from './types.js';

export type CacheFormat = 'object' | 'table';

export const FORMAT_ACCEPT: Readonly<Record<CacheFormat, string>> = {
  object: 'application/json',
  table: 'application/json;as=Table;v=v1;g=meta.k8s.io',
};

/** Query of the host list and watch beside the resourceVersion. */
export const FORMAT_QUERY: Readonly<Record<CacheFormat, Record<string, string>>> = {
  object: {},
  // Rows carry their whole object: selectors, kplex's hidden label and host views read it.
  table: { includeObject: 'Object' },
};

const meta = (o: unknown): Obj => (isObject(o) && isObject(o['metadata']) ? o['metadata'] : {});

/** The object of a value the host sent in `format` (a Table's only row's object). */
function innerObject(format: CacheFormat, value: Obj): Obj {
  if (format === 'object') return value;
  const rows = value['rows'];
  const row = Array.isArray(rows) ? (rows[0] as unknown) : undefined;
  return isObject(row) && isObject(row['object']) ? row['object'] : {};
}

export function cachedItem(format: CacheFormat, value: Obj): CachedItem {
  const object = innerObject(format, value);
  const m = meta(object);
  return {
    ns: typeof m['namespace'] === 'string' ? m['namespace'] : '',
    name: typeof m['name'] === 'string' ? m['name'] : '',
    object,
    value,
  };
}

export function resourceVersionOf(item: CachedItem): number {
  return Number(meta(item.object)['resourceVersion'] ?? 0) || 0;
}

/** Table rows of a listed Table, each as the one-row Table a watch event carries. */
export function tableRows(list: Obj): Obj[] {
  const rows = Array.isArray(list['rows']) ? (list['rows'] as unknown[]) : [];
  return rows.filter(isObject).map((row) => ({
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: String(meta(row['object'])['resourceVersion'] ?? '') },
    columnDefinitions: [],
    rows: [row],
  }));
}
