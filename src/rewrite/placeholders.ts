// A reference to a namespace that has no host namespace goes to the host as a placeholder name
// nobody owns (NamespaceMap.hostRef). The host echoes such names back (validation messages, the
// stored affinity terms of a Deployment, Events' involvedObject): this remembers which virtual name
// each placeholder stood for, per tenant, so responses name the tenant's namespace, never kplex's.
// In memory and bounded: a placeholder handed out before a restart reads back as-is until it is
// written again.
import type { NamespaceMap } from './namespace-map.js';

const PER_TENANT = 1024;
const TENANTS = 4096;

/** tenant -> placeholder -> virtual namespace, least recently used first. */
const memo = new Map<string, Map<string, string>>();

const EMPTY: ReadonlyMap<string, string> = new Map();

/** The host name for a reference to `ns`, remembering a placeholder. */
export function hostRefOf(map: NamespaceMap, ns: string): string {
  const recorded = map.hostOf(ns);
  if (recorded) return recorded;
  const placeholder = map.hostRef(ns);
  let m = memo.get(map.tenant);
  if (m) memo.delete(map.tenant);
  else m = new Map();
  memo.set(map.tenant, m);
  m.delete(placeholder);
  m.set(placeholder, ns);
  if (m.size > PER_TENANT) m.delete(m.keys().next().value!);
  if (memo.size > TENANTS) memo.delete(memo.keys().next().value!);
  return placeholder;
}

/** Placeholders handed out for `tenant` and the virtual names they stand for. */
export function placeholdersOf(tenant: string): ReadonlyMap<string, string> {
  return memo.get(tenant) ?? EMPTY;
}
