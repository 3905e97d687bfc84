// ownerReferences across the boundary. An ownerReference whose owner kind is not host-backed (a
// tenant custom resource, a virtual RBAC object...) must never reach the host: the host garbage
// collector would look its uid up on the host, not find it, and delete the dependent at once. Such
// references are moved off the host object into kplex annotations (one per owner, so server-side
// apply merges them per owner as it merges the list by uid) plus one label that lets kplex find the
// dependents by selector when a virtual owner goes (tenancy/host-dependents.ts). On the way out
// they are put back where the tenant wrote them; the kplex keys are hidden like every `kplex.io/`
// key and a tenant cannot set them (object-rewrite.ts strips them before this runs).
import { createHash } from 'node:crypto';
import { isObject } from '../api/object.js';

/** Set on every host object holding a virtual owner's reference (the selector kplex lists by). */
export const LABEL_VIRTUAL_OWNED = 'kplex.io/virtual-owned';

/** `kplex.io/owner-<hash of the owner uid>`: `{"i": <index in the tenant's list>, "ref": {...}}`. */
const OWNER_PREFIX = 'kplex.io/owner-';

/** Whether (apiVersion, kind) is a host-backed kind in the tenant's resource table. */
export type IsHostKind = (apiVersion: string, kind: string) => boolean;

/** The keys this module derives from ownerReferences: recomputed on each write, never kept from the host. */
export const isOwnershipKey = (k: string): boolean => k === LABEL_VIRTUAL_OWNED || k.startsWith(OWNER_PREFIX);

const ownerKey = (uid: string): string =>
  `${OWNER_PREFIX}${createHash('sha256').update(uid).digest('hex').slice(0, 40)}`;

type Obj = Record<string, unknown>;

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v !== '';

/**
 * A reference kplex may take off the host object: well formed (the host validates the others and
 * refuses them with its own 422, in place) and to a kind that is not host-backed.
 */
function isVirtualRef(r: unknown, isHostKind: IsHostKind): r is Obj {
  return (
    isObject(r) &&
    nonEmpty(r['apiVersion']) &&
    nonEmpty(r['kind']) &&
    nonEmpty(r['name']) &&
    nonEmpty(r['uid']) &&
    !isHostKind(r['apiVersion'], r['kind'])
  );
}

/**
 * A request object (create, update, patch result, apply configuration) on its way to the host:
 * references to virtual owners become kplex annotations and the label. Runs after the tenant's
 * own `kplex.io/` keys were dropped. Left as is when the list is one the host must refuse
 * (duplicate uids, or more than one controller), so the apiserver's validation answers.
 * True when a reference was moved.
 */
export function ownersToHost(obj: unknown, isHostKind: IsHostKind): boolean {
  const meta = isObject(obj) ? obj['metadata'] : undefined;
  if (!isObject(meta) || !Array.isArray(meta['ownerReferences'])) return false;
  const refs = meta['ownerReferences'] as unknown[];
  const uids = refs.map((r) => (isObject(r) ? r['uid'] : undefined));
  if (new Set(uids).size !== uids.length) return false;
  if (refs.filter((r) => isObject(r) && r['controller'] === true).length > 1) return false;
  const keep: unknown[] = [];
  const moved: Record<string, string> = {};
  refs.forEach((r, i) => {
    if (isVirtualRef(r, isHostKind)) moved[ownerKey(r['uid'] as string)] = JSON.stringify({ i, ref: r });
    else keep.push(r);
  });
  if (Object.keys(moved).length === 0) return false;
  if (keep.length) meta['ownerReferences'] = keep;
  else delete meta['ownerReferences'];
  meta['annotations'] = { ...(isObject(meta['annotations']) ? meta['annotations'] : {}), ...moved };
  meta['labels'] = { ...(isObject(meta['labels']) ? meta['labels'] : {}), [LABEL_VIRTUAL_OWNED]: 'true' };
  return true;
}

/** The virtual owners' references kplex keeps on a host object, in the tenant's order. */
export function virtualOwnerRefs(meta: unknown): { i: number; ref: Obj }[] {
  if (!isObject(meta) || !isObject(meta['annotations'])) return [];
  const out: { i: number; ref: Obj }[] = [];
  for (const [k, v] of Object.entries(meta['annotations'])) {
    if (!k.startsWith(OWNER_PREFIX) || typeof v !== 'string') continue;
    try {
      const e = JSON.parse(v) as { i?: unknown; ref?: unknown };
      if (isObject(e.ref) && typeof e.i === 'number') out.push({ i: e.i, ref: e.ref });
    } catch {
      // not one of kplex's (a tenant cannot write these keys): ignored
    }
  }
  return out.sort((a, b) => a.i - b.i);
}

/** A host object's metadata on its way to the tenant: its virtual owners' references put back (before kplex keys are hidden). */
export function ownersToVirtual(meta: unknown): void {
  const moved = virtualOwnerRefs(meta);
  if (!isObject(meta) || moved.length === 0) return;
  const list = Array.isArray(meta['ownerReferences']) ? [...(meta['ownerReferences'] as unknown[])] : [];
  for (const { i, ref } of moved) list.splice(Math.min(i, list.length), 0, ref);
  meta['ownerReferences'] = list;
}

/**
 * The host object `obj` without the reference to the virtual owner `uid`: its annotation, and
 * the label once no virtual owner is left. Returns the merge patch that does it (null: none held).
 */
export function dropVirtualOwnerPatch(meta: unknown, uid: string): Obj | null {
  const key = ownerKey(uid);
  if (!isObject(meta) || !isObject(meta['annotations']) || !(key in meta['annotations'])) return null;
  const others = Object.keys(meta['annotations']).filter((k) => k.startsWith(OWNER_PREFIX) && k !== key);
  return {
    metadata: {
      annotations: { [key]: null },
      ...(others.length === 0 ? { labels: { [LABEL_VIRTUAL_OWNED]: null } } : {}),
    },
  };
}
