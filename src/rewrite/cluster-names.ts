// Host names of a tenant's own cluster-scoped objects (PersistentVolumes, and the storage class
// names its volumes and claims use): `<tenant>-<h8>-<name>`, h8 hashed from the tenant's UID, so
// two tenants (or a deleted tenant and a new one of the same name) never share a name, and no
// tenant can write a name of another's (its names always get its own prefix). Unlike namespace
// names these are derived, not recorded: the prefix reads back to the virtual name. A name that
// does not fit (253 characters, a DNS subdomain) is cut and suffixed with a hash to exactly 253
// characters (readable names are at most 252, so the two never meet), remembered in memory so the
// host's echo of it reads back.
import { createHash } from 'node:crypto';

const MAX = 253;

interface Tenant {
  readonly tenant: string;
  readonly tenantUid: string;
}

const hash = (s: string, n: number): string => createHash('sha256').update(s).digest('hex').slice(0, n);

/** `<tenant>-<h8>`: the tenant's "no class" (a volume or claim of storageClassName ""), and its names' stem. */
export function clusterStem(t: Tenant): string {
  const key = `${t.tenant}\0${t.tenantUid}`;
  let stem = stems.get(key);
  if (stem === undefined) {
    stem = `${t.tenant}-${hash(`kplex-cluster-names\0${t.tenantUid || t.tenant}`, 8)}`;
    if (stems.size >= LONG_NAMES) stems.clear();
    stems.set(key, stem);
  }
  return stem;
}

/** Stems by tenant (a hash per read of every claim otherwise). */
const stems = new Map<string, string>();

/** Long names' host forms, host name -> virtual name (bounded, least recently used first). */
const LONG_NAMES = 8192;
const longNames = new Map<string, string>();

/** The host name of the tenant's cluster-scoped object (or class name) `name`. */
export function clusterHostName(t: Tenant, name: string): string {
  const prefix = `${clusterStem(t)}-`;
  if (prefix.length + name.length < MAX) return prefix + name;
  const suffix = `-${hash(name, 10)}`;
  const host = prefix + name.slice(0, MAX - prefix.length - suffix.length) + suffix;
  longNames.delete(host);
  longNames.set(host, name);
  if (longNames.size > LONG_NAMES) longNames.delete(longNames.keys().next().value!);
  return host;
}

/** The virtual name of a host name of the tenant's; undefined for every other host name. */
export function clusterVirtualName(t: Tenant, host: string): string | undefined {
  const stem = clusterStem(t);
  if (!host.startsWith(`${stem}-`)) return undefined;
  if (host.length < MAX) return host.slice(stem.length + 1);
  return longNames.get(host);
}

/** generateName on the host: the host appends 5 characters to at most 248 (its MaxGeneratedNameLength). */
export function clusterHostGenerateName(t: Tenant, generateName: string): string {
  const prefix = `${clusterStem(t)}-`;
  return prefix + generateName.slice(0, Math.max(0, MAX - 5 - prefix.length));
}

/** A storage class name on a tenant's volume: "" (no class) is the tenant's stem, so it binds only the tenant's claims. */
export function classToHost(t: Tenant, name: string): string {
  return name ? clusterHostName(t, name) : clusterStem(t);
}

/** The tenant's class name of a host class name: the stem reads back as "" (no class). */
export function classToVirtual(t: Tenant, host: string): string | undefined {
  return host === clusterStem(t) ? '' : clusterVirtualName(t, host);
}
