// The `namespace/name` strings that ListQuery.after and ListResult.last carry, and the key order
// lists are served in. Namespaces (DNS labels) and names (path segments) never contain '/', so
// the first '/' separates them; cluster-scoped objects are `/name`.

export interface ListPosition {
  namespace: string;
  name: string;
}

export function formatListKey(p: ListPosition): string {
  return `${p.namespace}/${p.name}`;
}

/** Parses `namespace/name`; a string without '/' is taken as the name of a cluster-scoped object. */
export function parseListKey(s: string): ListPosition {
  const i = s.indexOf('/');
  return i < 0 ? { namespace: '', name: s } : { namespace: s.slice(0, i), name: s.slice(i + 1) };
}

/**
 * Orders keys as the objects table's primary key does (SQLite BINARY collation). JS compares UTF-16
 * code units, which matches UTF-8 byte order for every character Kubernetes allows in names.
 */
export function compareListKeys(a: ListPosition, b: ListPosition): number {
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return 0;
}
