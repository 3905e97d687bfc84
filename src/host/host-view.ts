// Read-only host views (nodes, PVs, storage/ingress/runtime/priority classes): which objects a
// tenant may see and what is stripped from them, as data per group/resource.
import type { NamespaceMap } from '../rewrite/namespace-map.js';

type Obj = {
  metadata?: { annotations?: Record<string, string>; managedFields?: unknown };
  spec?: { claimRef?: { namespace?: string } };
};

interface ViewRule {
  /** Whether the tenant may see this host object at all (default: yes). */
  visible?: (obj: Obj, map: NamespaceMap) => boolean;
  /** Drop every annotation (host operators' notes, controller bookkeeping). */
  dropAnnotations?: boolean;
}

export const VIEW_RULES: Readonly<Record<string, ViewRule>> = {
  '/nodes': { dropAnnotations: true },
  // A PersistentVolume is visible only while bound to a claim in one of the tenant's namespaces.
  '/persistentvolumes': {
    visible: (o, map) => map.virtualOf(o.spec?.claimRef?.namespace ?? '') !== undefined,
    dropAnnotations: true,
  },
};

/** Sanitizes a host-view object in place (before namespace rewriting); false when it is hidden. */
export function viewObject(groupResource: string, obj: unknown, map: NamespaceMap): boolean {
  const rule = VIEW_RULES[groupResource] ?? {};
  const o = obj as Obj;
  if (rule.visible && !rule.visible(o, map)) return false;
  if (o.metadata) {
    delete o.metadata.managedFields;
    if (rule.dropAnnotations) delete o.metadata.annotations;
  }
  return true;
}

/** Filters a list/Table body in place. */
export function viewBody(groupResource: string, body: Record<string, unknown>, map: NamespaceMap): void {
  if (Array.isArray(body['items']))
    body['items'] = body['items'].filter((i) => viewObject(groupResource, i, map));
  if (Array.isArray(body['rows']))
    body['rows'] = (body['rows'] as { object?: unknown }[]).filter(
      (r) => !r.object || viewObject(groupResource, r.object, map),
    );
}
