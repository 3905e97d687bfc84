// Fields that name a tenant's cluster-scoped storage objects, as data: a claim's PersistentVolume
// and the storage class names of volumes and claims. On the way out every value in one of the
// tenant's host forms (cluster-names.ts) reads back as the tenant wrote it, whatever the kind; on
// the way in, a request decides per value (StorageRefs, set on the request's NamespaceMap by
// host/storage-refs.ts), because a claim may name the host's own class or volume too.
import { isObject } from '../api/object.js';
import { classToHost, classToVirtual, clusterHostName, clusterVirtualName } from './cluster-names.js';
import { visitPath } from './field-paths.js';

type Obj = Record<string, unknown>;

interface Tenant {
  readonly tenant: string;
  readonly tenantUid: string;
}

/** A claim's (or claim template's) volume, and every storage class name, by path. */
export const STORAGE_REF_PATHS = {
  volumes: ['spec.volumeName'],
  classes: ['spec.storageClassName', 'spec.volumeClaimTemplates[].spec.storageClassName'],
} as const;

/** Table columns (PVC, PV) holding such names. */
const COLUMNS: Readonly<Record<string, 'volumes' | 'classes'>> = {
  Volume: 'volumes',
  StorageClass: 'classes',
};

/** How one write maps the names it carries (host/storage-refs.ts decides them). */
export interface StorageRefs {
  /** The write is a PersistentVolume: its class is always the tenant's (else another tenant's claim could bind it). */
  readonly forVolume: boolean;
  /** Host form of a claim's class name ("" too: no class is the tenant's no class). */
  claimClass(name: string): string;
  /** Host form of a claim's volume name. */
  claimVolume(name: string): string;
  /**
   * A PersistentVolume write's own name: the host form of `metadata.name` (undefined: leave it,
   * e.g. a patched object already in host form), with the owner labels it carries on the host.
   */
  volumeName?(name: string): string | undefined;
  /** `metadata.generateName` of a PersistentVolume create. */
  volumeGenerateName?(prefix: string): string;
  readonly ownerLabels?: Readonly<Record<string, string>>;
  /** Host names this request's answers may quote (a Status), with the tenant's names. */
  readonly shown?: ReadonlyMap<string, string>;
}

const virtualOf = (t: Tenant, kind: 'volumes' | 'classes', v: string): string | undefined =>
  kind === 'classes' ? classToVirtual(t, v) : clusterVirtualName(t, v);

/** Every name in one of the tenant's host forms back to its own (in place). */
export function storageRefsToVirtual(obj: unknown, t: Tenant & { storageRefs?: StorageRefs }): void {
  if (!isObject(obj)) return;
  if (obj['kind'] === 'Status' && t.storageRefs?.shown) statusToVirtual(obj, t.storageRefs.shown);
  if (!isObject(obj['spec'])) return;
  for (const kind of ['volumes', 'classes'] as const)
    for (const p of STORAGE_REF_PATHS[kind])
      visitPath(obj, p, (o, k) => {
        const v = typeof o[k] === 'string' ? virtualOf(t, kind, o[k] as string) : undefined;
        if (v !== undefined) o[k] = v;
      });
}

/** A Status about the request's own volume (not found, already exists, invalid) names it as the tenant does. */
function statusToVirtual(status: Obj, shown: ReadonlyMap<string, string>): void {
  const swap = (s: string): string => {
    for (const [host, v] of shown) s = s.split(host).join(v);
    return s;
  };
  if (typeof status['message'] === 'string') status['message'] = swap(status['message']);
  const details = status['details'];
  if (isObject(details)) {
    if (typeof details['name'] === 'string') details['name'] = swap(details['name']);
    if (Array.isArray(details['causes']))
      for (const c of details['causes'] as Obj[])
        if (isObject(c) && typeof c['message'] === 'string') c['message'] = swap(c['message']);
  }
}

/** A Table's cells of the columns above, back to the tenant's names. */
export function storageCellsToVirtual(table: Obj, t: Tenant): void {
  const defs = Array.isArray(table['columnDefinitions']) ? (table['columnDefinitions'] as Obj[]) : [];
  const at = defs.flatMap((c, i) => (typeof c?.['name'] === 'string' && COLUMNS[c['name']] ? [i] : []));
  if (!at.length || !Array.isArray(table['rows'])) return;
  for (const row of table['rows'] as Obj[]) {
    const cells = isObject(row) && Array.isArray(row['cells']) ? (row['cells'] as unknown[]) : [];
    for (const i of at) {
      const kind = COLUMNS[defs[i]!['name'] as string]!;
      const v = typeof cells[i] === 'string' ? virtualOf(t, kind, cells[i]) : undefined;
      if (v !== undefined) cells[i] = v;
    }
  }
}

/**
 * The names of a write on its way to the host (in place). `previous` is the host's current object
 * (a patch): a value the write left as it read it keeps the host's value.
 */
export function storageRefsToHost(obj: unknown, t: Tenant, refs: StorageRefs, previous?: unknown): void {
  if (!isObject(obj)) return;
  if (refs.forVolume) volumeToHost(obj, refs);
  if (!isObject(obj['spec'])) return;
  const before = new Map<string, unknown[]>();
  if (previous)
    for (const p of [...STORAGE_REF_PATHS.volumes, ...STORAGE_REF_PATHS.classes]) {
      const vals: unknown[] = [];
      visitPath(previous, p, (o, k) => vals.push(o[k]));
      before.set(p, vals);
    }
  const map = (p: string, kind: 'volumes' | 'classes', f: (v: string) => string): void => {
    const old = before.get(p) ?? [];
    let i = 0;
    visitPath(obj, p, (o, k) => {
      const v = o[k];
      const was = old[i++];
      if (typeof v !== 'string') return;
      if (typeof was === 'string' && (virtualOf(t, kind, was) ?? was) === v) o[k] = was;
      else o[k] = f(v);
    });
  };
  for (const p of STORAGE_REF_PATHS.volumes) map(p, 'volumes', (v) => (v ? refs.claimVolume(v) : v));
  for (const p of STORAGE_REF_PATHS.classes)
    map(p, 'classes', (v) => (refs.forVolume ? classToHost(t, v) : refs.claimClass(v)));
}

/** A PersistentVolume's own name and owner labels, and its class when it has none ("" is the tenant's no class). */
function volumeToHost(obj: Obj, refs: StorageRefs): void {
  const meta = isObject(obj['metadata']) ? obj['metadata'] : (obj['metadata'] = {});
  if (typeof meta['name'] === 'string' && meta['name']) {
    const host = refs.volumeName?.(meta['name']);
    if (host !== undefined) meta['name'] = host;
  } else if (typeof meta['generateName'] === 'string' && meta['generateName'] && refs.volumeGenerateName)
    meta['generateName'] = refs.volumeGenerateName(meta['generateName']);
  if (refs.ownerLabels)
    meta['labels'] = { ...(isObject(meta['labels']) ? meta['labels'] : {}), ...refs.ownerLabels };
  if (isObject(obj['spec']) && obj['spec']['storageClassName'] === undefined)
    obj['spec']['storageClassName'] = '';
}

/** The host name of the tenant's own PersistentVolume `name`. */
export const volumeHostName = (t: Tenant, name: string): string => clusterHostName(t, name);
