// ClusterRole aggregation as the clusterroleaggregation controller computes it: the rules of an
// aggregating ClusterRole are the union (first occurrence kept, semantic equality) of the rules
// of every OTHER ClusterRole its selectors match, selectors in order, roles sorted by name.
import { selectorMatches } from '../api/labels.js';
import type { PolicyRule, RoleObject } from './types.js';

/** A rule with empty lists dropped, so nil and [] compare equal as Semantic.DeepEqual does. */
export function normalizeRule(r: PolicyRule): PolicyRule {
  const out: PolicyRule = { verbs: r.verbs ?? [] };
  if (r.apiGroups?.length) out.apiGroups = r.apiGroups;
  if (r.resources?.length) out.resources = r.resources;
  if (r.resourceNames?.length) out.resourceNames = r.resourceNames;
  if (r.nonResourceURLs?.length) out.nonResourceURLs = r.nonResourceURLs;
  return out;
}

const ruleKey = (r: PolicyRule): string => {
  const n = normalizeRule(r);
  return JSON.stringify([
    n.verbs,
    n.apiGroups ?? [],
    n.resources ?? [],
    n.resourceNames ?? [],
    n.nonResourceURLs ?? [],
  ]);
};

export function aggregatedRules(role: RoleObject, all: readonly RoleObject[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const seen = new Set<string>();
  const selectors = role.aggregationRule?.clusterRoleSelectors ?? [];
  // Only the matching roles are sorted: the rest of the tenant's ClusterRoles cost one test each.
  const sorted = all
    .filter(
      (o) =>
        o.metadata?.name !== role.metadata?.name &&
        selectors.some((sel) => selectorMatches(sel, o.metadata?.labels)),
    )
    .sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const sel of selectors) {
    for (const other of sorted) {
      if (other.metadata?.name === role.metadata?.name || !selectorMatches(sel, other.metadata?.labels))
        continue;
      for (const r of other.rules ?? []) {
        const k = ruleKey(r);
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(r);
      }
    }
  }
  return out;
}

export function sameRules(
  a: readonly PolicyRule[] | null | undefined,
  b: readonly PolicyRule[] | null | undefined,
): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((r, i) => ruleKey(r) === ruleKey(y[i]!));
}
