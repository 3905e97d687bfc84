// Which cached host objects a tenant's watch or list shows: never kplex's hidden ones, and its
// selectors judged over the tenant's view (kplex's labels absent, virtual namespace names).
import { matchesFields } from '../api/field-selector.js';
import { matchesLabels } from '../api/labels.js';
import { isObject } from '../api/object.js';
import type { CachedItem, Obj } from '../hostwatch/types.js';
import type { NamespaceMap } from '../rewrite/namespace-translator.js';
import { isHiddenHostObject, isKplexKey } from '../rewrite/object-rewrite.js';
import type { SharedWatchPlan } from './shared-watch-plan.js';

/** The tenant's view of an object's labels: kplex's own are never there (as labelSelectorToHost judges). */
function tenantLabels(obj: Obj): Record<string, string> | undefined {
  const labels = isObject(obj['metadata']) ? obj['metadata']['labels'] : undefined;
  if (!isObject(labels)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (!isKplexKey(k) && typeof v === 'string') out[k] = v;
  return out;
}

export function tenantFilter(
  plan: Pick<SharedWatchPlan, 'labels' | 'fields'>,
  map: NamespaceMap,
): (item: CachedItem) => boolean {
  return (item) =>
    !isHiddenHostObject(item.object) &&
    (!plan.labels.length || matchesLabels(plan.labels, tenantLabels(item.object))) &&
    (!plan.fields.length ||
      matchesFields(plan.fields, {
        'metadata.name': item.name,
        'metadata.namespace': map.virtualOf(item.ns) ?? '',
      }));
}
