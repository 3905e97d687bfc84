// Read-only host views (nodes, PVs; classes are the tenant's own, admission/class-kinds.ts):
// which objects a tenant may see and what is stripped from them, as data per group/resource.
// PersistentVolumes are also the tenant's own (persistent-volumes.ts): those are shown whole,
// under the names it gave them.
import { clusterStem, clusterVirtualName } from '../rewrite/cluster-names.js';
import { LABEL_TENANT_UID, type NamespaceMap } from '../rewrite/namespace-translator.js';

type Obj = {
  metadata?: {
    name?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: unknown;
  };
  spec?: { claimRef?: { namespace?: string }; storageClassName?: string };
};

interface ViewRule {
  /** Whether the tenant may see this host object at all (default: yes). */
  visible?: (obj: Obj, map: NamespaceMap) => boolean;
  /** Drop every annotation (host operators' notes, controller bookkeeping). */
  dropAnnotations?: boolean;
  /** Dotted paths dropped from the object: what would show other tenants' workloads. */
  dropFields?: readonly string[];
  /** The tenant may have objects of its own here, under its cluster names and owner label. */
  owned?: boolean;
}

/** The tenant's name of a host object of its own (owner label and its name form); else undefined. */
function ownedName(o: Obj, map: NamespaceMap): string | undefined {
  if (!map.tenantUid || o.metadata?.labels?.[LABEL_TENANT_UID] !== map.tenantUid) return undefined;
  return clusterVirtualName(map, o.metadata.name ?? '');
}

export const VIEW_RULES: Readonly<Record<string, ViewRule>> = {
  // A node's labels, taints, capacity and conditions are the host's, as on any cluster; what the
  // kubelet reports about the pods it runs (their images, their volumes) is every tenant's.
  '/nodes': {
    dropAnnotations: true,
    dropFields: ['status.images', 'status.volumesInUse', 'status.volumesAttached', 'status.config'],
  },
  // A host PersistentVolume is visible only while bound to a claim in one of the tenant's
  // namespaces (never one another tenant owns); the tenant's own are visible always.
  '/persistentvolumes': {
    owned: true,
    visible: (o, map) =>
      !o.metadata?.labels?.[LABEL_TENANT_UID] &&
      map.virtualOf(o.spec?.claimRef?.namespace ?? '') !== undefined,
    dropAnnotations: true,
  },
};

/** Sanitizes a host-view object in place (before namespace rewriting); false when it is hidden. */
export function viewObject(groupResource: string, obj: unknown, map: NamespaceMap): boolean {
  const rule = VIEW_RULES[groupResource] ?? {};
  const o = obj as Obj;
  // A read by name as a Table: its one row is the object.
  if ((obj as { kind?: unknown }).kind === 'Table') {
    viewBody(groupResource, obj as Record<string, unknown>, map);
    return ((obj as { rows?: unknown[] }).rows?.length ?? 0) > 0;
  }
  const own = rule.owned ? ownedName(o, map) : undefined;
  if (own !== undefined) {
    // The tenant's own: its name, annotations and "no class" as it wrote them.
    o.metadata!.name = own;
    if (o.spec?.storageClassName === clusterStem(map)) delete o.spec.storageClassName;
    return true;
  }
  if (rule.visible && !rule.visible(o, map)) return false;
  if (o.metadata) {
    delete o.metadata.managedFields;
    if (rule.dropAnnotations) delete o.metadata.annotations;
  }
  for (const path of rule.dropFields ?? []) dropPath(o as Record<string, unknown>, path.split('.'));
  return true;
}

function dropPath(o: Record<string, unknown>, [key, ...rest]: string[]): void {
  if (key === undefined) return;
  if (!rest.length) delete o[key];
  else if (typeof o[key] === 'object' && o[key] !== null) dropPath(o[key] as Record<string, unknown>, rest);
}

/** Filters a list/Table body in place. */
export function viewBody(groupResource: string, body: Record<string, unknown>, map: NamespaceMap): void {
  if (Array.isArray(body['items']))
    body['items'] = body['items'].filter((i) => viewObject(groupResource, i, map));
  if (Array.isArray(body['rows']))
    body['rows'] = (body['rows'] as { object?: Obj; cells?: unknown[] }[]).filter((r) => {
      const host = r.object?.metadata?.name;
      if (r.object && !viewObject(groupResource, r.object, map)) return false;
      // The Name cell of an object shown under the tenant's name.
      const name = r.object?.metadata?.name;
      if (host !== name && Array.isArray(r.cells) && r.cells[0] === host) r.cells[0] = name;
      return true;
    });
}

/**
 * Kinds of the host views, by `group/Kind`: their uids are the host's own, so an ownerReference
 * to one with blockOwnerDeletion would let a tenant's object (with a finalizer of its own) hold up
 * the host's foreground deletion of a Node or a PersistentVolume.
 */
export const VIEW_KINDS = new Set(['/Node', '/PersistentVolume']);

/** The gc admission plugin's refusal, for a blocking ownerReference to a host view object. */
export function blockingViewOwner(obj: unknown): string | undefined {
  const refs = (obj as { metadata?: { ownerReferences?: unknown } } | undefined)?.metadata?.ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  for (const r of refs as {
    apiVersion?: unknown;
    kind?: unknown;
    name?: unknown;
    blockOwnerDeletion?: unknown;
  }[]) {
    if (r?.blockOwnerDeletion !== true || typeof r.apiVersion !== 'string') continue;
    const group = r.apiVersion.includes('/') ? r.apiVersion.slice(0, r.apiVersion.indexOf('/')) : '';
    if (VIEW_KINDS.has(`${group}/${String(r.kind)}`))
      return `cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set finalizers on: ${String(r.kind)} "${String(r.name)}"`;
  }
  return undefined;
}
