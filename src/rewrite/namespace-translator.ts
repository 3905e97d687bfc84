// The one place virtual and host namespace names meet: host namespace names are allocated here,
// the recorded mapping is looked up both ways here (objects, selectors, messages, ServiceAccount
// identities), and the namespace-bearing fields of every host-backed kind (namespace-fields.ts,
// data) are translated here, in both directions.
//
// Host names: readable (`<tenant>-<ns>`) where that fits in 63 characters and is free, otherwise
// truncated with a suffix. The mapping is RECORDED (host labels + the tenant store), never parsed
// back from a name. Other tenants choose their own host names too (`a` + `b-c` and `a-b` + `c`
// both read `a-b-c`), so any name a tenant can predict, another tenant can take first: only the
// readable name is predictable; the next candidate is hashed with the tenant's UID (which no other
// tenant learns) and every later one is random, so pre-creating names can never exhaust a
// tenant's candidates. A reference to a namespace without a host namespace maps to a placeholder
// no tenant can own, remembered (bounded, in memory) so the host's echo of it reads back virtual.
import { isObject } from '../api/object.js';
import { createHash, randomBytes } from 'node:crypto';
import { splitTerms } from '../api/field-selector.js';
import { PathSet, visitPath } from './field-paths.js';
import { ALL_NAMESPACE_FIELDS } from './namespace-fields.js';
import { withServiceNamespace } from '../api/service-dns-names.js';
import type { StorageRefs } from './storage-refs.js';
import type { IsHostKind } from './virtual-owners.js';

export const LABEL_TENANT = 'kplex.io/tenant';
export const LABEL_TENANT_UID = 'kplex.io/tenant-uid';
export const LABEL_NAMESPACE = 'kplex.io/namespace';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';

const MAX = 63;

/** A tenant as kplex knows it: a name can be reused after a delete, the UID never is. */
export interface TenantIdentity {
  name: string;
  uid: string;
}

function withSuffix(readable: string, suffix: string): string {
  const prefix = readable.slice(0, MAX - suffix.length - 1).replace(/-+$/, '');
  return `${prefix}-${suffix}`;
}

/**
 * Candidate host names for (tenant, ns), best first: the readable one (when it fits), one hashed
 * with the tenant UID, then random ones. Callers take the first that is free on the host.
 */
export function hostNamespaceCandidates(tenant: TenantIdentity, ns: string, count = 8): string[] {
  const out: string[] = [];
  const readable = `${tenant.name}-${ns}`;
  if (readable.length <= MAX) out.push(readable);
  out.push(
    withSuffix(readable, createHash('sha256').update(`${tenant.uid}\0${ns}`).digest('hex').slice(0, 10)),
  );
  while (out.length < count) out.push(withSuffix(readable, randomBytes(6).toString('hex')));
  return out;
}

/** The labels every host namespace of a tenant carries: the recorded mapping. */
export function hostNamespaceLabels(tenant: TenantIdentity, ns: string): Record<string, string> {
  return {
    [LABEL_TENANT]: tenant.name,
    [LABEL_TENANT_UID]: tenant.uid,
    [LABEL_NAMESPACE]: ns,
    [LABEL_MANAGED_BY]: 'kplex',
  };
}

/**
 * True when a host namespace object is the one kplex created for (tenant, ns): the UID label
 * tells a deleted tenant's namespace (perhaps still Terminating, with its objects) from a new
 * tenant's of the same name.
 */
export function isOurHostNamespace(
  obj: { metadata?: { labels?: Record<string, string>; deletionTimestamp?: string } } | undefined,
  tenant: TenantIdentity,
  ns: string,
): boolean {
  const l = obj?.metadata?.labels ?? {};
  return (
    l[LABEL_TENANT] === tenant.name &&
    l[LABEL_TENANT_UID] === tenant.uid &&
    l[LABEL_NAMESPACE] === ns &&
    l[LABEL_MANAGED_BY] === 'kplex'
  );
}

/**
 * A host name no tenant can ever own: every tenant's host namespaces start with `<tenant>-`, and
 * tenant names starting with `kplex-` (or `kplex` itself) are reserved (tenancy/tenant-name.ts).
 */
export function unownedName(tenant: string, ns: string): string {
  return `kplex-none-${createHash('sha256').update(`${tenant}\0${ns}`).digest('hex').slice(0, 16)}`;
}

/** Placeholders handed out, per tenant (placeholder -> virtual namespace), least recently used first. */
const PLACEHOLDERS_PER_TENANT = 1024;
const PLACEHOLDER_TENANTS = 4096;
const placeholders = new Map<string, Map<string, string>>();
const NONE: ReadonlyMap<string, string> = new Map();

function rememberPlaceholder(tenant: string, placeholder: string, ns: string): void {
  let m = placeholders.get(tenant);
  if (m) placeholders.delete(tenant);
  else m = new Map();
  placeholders.set(tenant, m);
  m.delete(placeholder);
  m.set(placeholder, ns);
  if (m.size > PLACEHOLDERS_PER_TENANT) m.delete(m.keys().next().value!);
  if (placeholders.size > PLACEHOLDER_TENANTS) placeholders.delete(placeholders.keys().next().value!);
}

/** The tenant's virtual <-> host namespace names for one request, read from the RECORDED mapping. */
export class NamespaceMap {
  private readonly toVirtual = new Map<string, string>();

  private readonly toHost: Map<string, string>;

  /** The tenant's host-backed kinds (its resource table): ownerReferences to others stay off the host. */
  isHostKind?: IsHostKind;

  /** How this request's write names volumes and storage classes (storage-refs.ts; PVC, PV, StatefulSet writes). */
  storageRefs?: StorageRefs;

  /** Told before an object with a virtual owner is sent to a host namespace (host-dependents.ts). */
  onVirtualOwned?: (hostNs: string) => void;

  constructor(
    readonly tenant: string,
    toHost: ReadonlyMap<string, string>,
    /** The tenant store's resourceVersion the mapping was read at (watchers of new mappings resume there). */
    readonly readAtRV = 0,
    /** The Tenant's UID: namespace selectors are fenced by it too (a re-created tenant of the same name is another tenant). */
    readonly tenantUid = '',
  ) {
    this.toHost = new Map(toHost);
    for (const [v, h] of toHost) this.toVirtual.set(h, v);
  }

  /** Learns a mapping recorded after this map was read (a namespace created during a watch). */
  add(ns: string, hostNs: string): void {
    this.toHost.set(ns, hostNs);
    this.toVirtual.set(hostNs, ns);
  }

  /** The same mapping plus `ns` -> `hostNs` for one request only (a dry run's stand-in: the scope's map is shared). */
  withStandIn(ns: string, hostNs: string): NamespaceMap {
    const m = new NamespaceMap(
      this.tenant,
      new Map([...this.toHost, [ns, hostNs]]),
      this.readAtRV,
      this.tenantUid,
    );
    m.isHostKind = this.isHostKind;
    m.onVirtualOwned = this.onVirtualOwned;
    m.requester = this.requester;
    m.storageRefs = this.storageRefs;
    return m;
  }

  /**
   * The user a request acts for: host refusals name kplex's own host identity ("User \"…\" cannot
   * list …"), and on the way to the tenant they name this user instead (object-rewrite.ts).
   */
  requester?: string;

  /** This mapping (shared, not copied) for one request of `username`. */
  forRequester(username: string): NamespaceMap {
    const view = Object.create(this) as NamespaceMap;
    view.requester = username;
    return view;
  }

  /** The recorded host namespace of `ns`, if it has one. */
  hostOf(ns: string): string | undefined {
    return this.toHost.get(ns);
  }

  /** For references in bodies, selectors and lists: the host name, or a placeholder nobody owns (remembered). */
  hostRef(ns: string): string {
    const recorded = this.toHost.get(ns);
    if (recorded) return recorded;
    const placeholder = unownedName(this.tenant, ns);
    rememberPlaceholder(this.tenant, placeholder, ns);
    return placeholder;
  }

  /** The virtual namespace a host namespace backs, from the recorded mapping only (identities, Secrets). */
  virtualOf(hostNs: string): string | undefined {
    return this.toVirtual.get(hostNs);
  }

  /** A host name in an object back to the tenant's: recorded mappings, then placeholders handed out, else as is. */
  virtualRef(hostNs: string): string {
    return this.toVirtual.get(hostNs) ?? this.placeholders().get(hostNs) ?? hostNs;
  }

  /** Placeholders handed out for this tenant and the virtual names they stand for. */
  placeholders(): ReadonlyMap<string, string> {
    return placeholders.get(this.tenant) ?? NONE;
  }

  /** Virtual namespaces with a host namespace, sorted by virtual name. */
  entries(): [virtual: string, host: string][] {
    return [...this.toHost].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** Host names, longest first (so a replacement never stops at a shorter prefix). */
  hostNames(): string[] {
    return [...this.toVirtual.keys()].sort((a, b) => b.length - a.length);
  }
}

/** Replaces every whole host namespace name (or placeholder) of the tenant in `text` by its virtual name. */
export function textToVirtual(text: string, map: NamespaceMap): string {
  let out = text;
  for (const [h, v] of map.placeholders()) if (out.includes(h)) out = out.split(h).join(v);
  for (const h of map.hostNames()) {
    if (!out.includes(h)) continue;
    out = out.replace(
      new RegExp(`(?<![a-z0-9-])${h.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![a-z0-9-])`, 'g'),
      map.virtualOf(h)!,
    );
  }
  return out;
}

const SA_PREFIX = 'system:serviceaccount:';

/**
 * A host ServiceAccount's user name (`system:serviceaccount:<host ns>:<sa>`) as the tenant knows
 * it, with its groups; undefined unless the namespace is one of the tenant's (recorded mapping).
 */
export function serviceAccountToVirtual(
  hostUsername: string,
  map: NamespaceMap,
): { username: string; groups: string[] } | undefined {
  if (!hostUsername.startsWith(SA_PREFIX)) return undefined;
  const [hostNs, sa, ...rest] = hostUsername.slice(SA_PREFIX.length).split(':');
  if (!hostNs || !sa || rest.length) return undefined;
  const ns = map.virtualOf(hostNs);
  if (!ns) return undefined;
  return {
    username: `${SA_PREFIX}${ns}:${sa}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
  };
}

/** The namespace-bearing fields of every kind, compiled once (every object of a list is visited). */
const FIELDS = {
  names: new PathSet(ALL_NAMESPACE_FIELDS.names),
  lists: new PathSet(ALL_NAMESPACE_FIELDS.lists),
  serviceNames: new PathSet(ALL_NAMESPACE_FIELDS.serviceNames),
  selectors: new PathSet(ALL_NAMESPACE_FIELDS.selectors),
};

const fromB64 = (v: string): string => Buffer.from(v, 'base64').toString('utf8');
const toB64 = (v: string): string => Buffer.from(v, 'utf8').toString('base64');

/** The namespace-bearing fields (not metadata.namespace) of a request object on its way to the host. */
export function namespaceFieldsToHost(obj: unknown, map: NamespaceMap): void {
  if (!isObject(obj)) return;
  const f = ALL_NAMESPACE_FIELDS;
  FIELDS.names.visit(obj, (o, k) => typeof o[k] === 'string' && o[k] && (o[k] = map.hostRef(o[k] as string)));
  FIELDS.lists.visit(
    obj,
    (o, k) =>
      Array.isArray(o[k]) &&
      (o[k] = (o[k] as unknown[]).map((n) => (typeof n === 'string' ? map.hostRef(n) : n))),
  );
  FIELDS.serviceNames.visit(
    obj,
    (o, k) =>
      typeof o[k] === 'string' && (o[k] = withServiceNamespace(o[k] as string, (n) => map.hostRef(n))),
  );
  FIELDS.selectors.visit(obj, (o, k) => {
    const sel = o[k];
    if (!isObject(sel)) return;
    sel['matchLabels'] = {
      ...(isObject(sel['matchLabels']) ? sel['matchLabels'] : {}),
      [LABEL_TENANT]: map.tenant,
      ...(map.tenantUid ? { [LABEL_TENANT_UID]: map.tenantUid } : {}),
    };
  });
  for (const e of f.encoded)
    if (obj['type'] === e.type)
      for (const p of e.paths)
        visitPath(obj, p, (o, k) => {
          const ns = typeof o[k] === 'string' ? fromB64(o[k] as string) : '';
          if (ns) o[k] = toB64(map.hostRef(ns));
        });
}

/** The namespace-bearing fields (not metadata.namespace) of a host object on its way to the tenant. */
export function namespaceFieldsToVirtual(obj: unknown, map: NamespaceMap): void {
  if (!isObject(obj)) return;
  const f = ALL_NAMESPACE_FIELDS;
  FIELDS.names.visit(obj, (o, k) => typeof o[k] === 'string' && (o[k] = map.virtualRef(o[k] as string)));
  FIELDS.lists.visit(
    obj,
    (o, k) =>
      Array.isArray(o[k]) &&
      (o[k] = (o[k] as unknown[]).map((n) => (typeof n === 'string' ? map.virtualRef(n) : n))),
  );
  FIELDS.serviceNames.visit(
    obj,
    (o, k) =>
      typeof o[k] === 'string' && (o[k] = withServiceNamespace(o[k] as string, (n) => map.virtualRef(n))),
  );
  FIELDS.selectors.visit(obj, (o, k) => {
    const sel = o[k];
    if (!isObject(sel) || !isObject(sel['matchLabels'])) return;
    delete sel['matchLabels'][LABEL_TENANT];
    delete sel['matchLabels'][LABEL_TENANT_UID];
    if (Object.keys(sel['matchLabels']).length === 0) delete sel['matchLabels'];
  });
  // A value naming no namespace of the tenant is dropped: a host name never reaches a tenant.
  // (Host Secrets kplex re-signed before the inbound direction existed hold the virtual name.)
  for (const e of f.encoded)
    if (obj['type'] === e.type)
      for (const p of e.paths)
        visitPath(obj, p, (o, k) => {
          const ns = typeof o[k] === 'string' ? fromB64(o[k] as string) : '';
          const v = ns ? (map.virtualOf(ns) ?? map.placeholders().get(ns)) : undefined;
          if (v) o[k] = toB64(v);
          else if (ns && map.hostOf(ns) === undefined) delete o[k];
        });
}

/** A field selector for the host: values of keys naming a namespace get host names. */
export function fieldSelectorToHost(sel: string, map: NamespaceMap): string {
  return splitTerms(sel)
    .map((t) => {
      const m = /^\s*([^!=\s]+)\s*(!=|==|=)(.*)$/.exec(t);
      if (!m || !ALL_NAMESPACE_FIELDS.selectable.has(m[1]!)) return t;
      const value = m[3]!.trim();
      return `${m[1]}${m[2]}${value ? map.hostRef(value) : value}`;
    })
    .join(',');
}
