// Rule evaluation exactly as k8s.io/kubernetes/pkg/apis/rbac/v1/evaluation_helpers.go and
// plugin/pkg/auth/authorizer/rbac (RuleAllows), and rule coverage as
// k8s.io/component-helpers/auth/rbac/validation (Covers, BreakdownRule) for escalation checks.
import type { PolicyRule } from './types.js';

/** The attributes a rule is matched against (authorizer.Attributes). */
export interface RuleAttributes {
  verb: string;
  isResourceRequest: boolean;
  path: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  name: string;
}

const has = (set: readonly string[] | undefined, v: string): boolean => (set ?? []).includes(v);

export const verbMatches = (r: PolicyRule, verb: string): boolean =>
  (r.verbs ?? []).some((v) => v === '*' || v === verb);

export const apiGroupMatches = (r: PolicyRule, group: string): boolean =>
  (r.apiGroups ?? []).some((g) => g === '*' || g === group);

export function resourceMatches(r: PolicyRule, combined: string, subresource: string): boolean {
  for (const res of r.resources ?? []) {
    if (res === '*' || res === combined) return true;
    // `*/sub` matches any resource's subresource `sub`.
    if (
      subresource &&
      res.length === subresource.length + 2 &&
      res.startsWith('*/') &&
      res.endsWith(subresource)
    )
      return true;
  }
  return false;
}

export const resourceNameMatches = (r: PolicyRule, name: string): boolean =>
  !r.resourceNames?.length || r.resourceNames.includes(name);

export function nonResourceURLMatches(r: PolicyRule, url: string): boolean {
  for (const u of r.nonResourceURLs ?? []) {
    if (u === '*' || u === url) return true;
    if (u.endsWith('*') && url.startsWith(u.replace(/\*+$/, ''))) return true;
  }
  return false;
}

export function ruleAllows(a: RuleAttributes, r: PolicyRule): boolean {
  if (a.isResourceRequest) {
    const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    return (
      verbMatches(r, a.verb) &&
      apiGroupMatches(r, a.apiGroup) &&
      resourceMatches(r, combined, a.subresource) &&
      resourceNameMatches(r, a.name)
    );
  }
  return verbMatches(r, a.verb) && nonResourceURLMatches(r, a.path);
}

/** One rule per (group, resource, verb[, name]) and per (url, verb). */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs ?? []) {
        if (rule.resourceNames?.length) {
          for (const n of rule.resourceNames)
            out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [n] });
        } else {
          out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        }
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? [])
    for (const verb of rule.verbs ?? []) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

const hasAll = (set: readonly string[] | undefined, want: readonly string[] | undefined): boolean =>
  (want ?? []).every((w) => has(set, w));

function resourceCoversAll(set: string[] | undefined, covers: string[] | undefined): boolean {
  if (has(set, '*') || hasAll(set, covers)) return true;
  for (const p of covers ?? []) {
    if (has(set, p)) continue;
    const i = p.indexOf('/');
    if (i < 0) return false;
    if (!has(set, `*/${p.slice(i + 1)}`)) return false;
  }
  return true;
}

const nonResourceURLCovers = (owner: string, sub: string): boolean =>
  owner === sub || (owner.endsWith('*') && sub.startsWith(owner.replace(/\*+$/, '')));

function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, '*') || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, '*') || hasAll(owner.apiGroups, sub.apiGroups);
  const resources = resourceCoversAll(owner.resources, sub.resources);
  const urls = (sub.nonResourceURLs ?? []).every((p) =>
    (owner.nonResourceURLs ?? []).some((o) => nonResourceURLCovers(o, p)),
  );
  const names = !sub.resourceNames?.length
    ? !owner.resourceNames?.length
    : !owner.resourceNames?.length || hasAll(owner.resourceNames, sub.resourceNames);
  return verbs && groups && resources && names && urls;
}

/** Whether `owner` rules cover every permission of `servant`; returns the uncovered pieces. */
export function covers(
  owner: PolicyRule[],
  servant: PolicyRule[],
): { covered: boolean; missing: PolicyRule[] } {
  const missing: PolicyRule[] = [];
  for (const s of servant.flatMap(breakdownRule)) if (!owner.some((o) => ruleCovers(o, s))) missing.push(s);
  return { covered: missing.length === 0, missing };
}

/** Merges simple rules (one group, one resource, at most one name) by concatenating verbs (CompactRules). */
export function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const compacted: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const r of rules) {
    const isSimple =
      (r.resourceNames?.length ?? 0) <= 1 &&
      !r.nonResourceURLs?.length &&
      r.apiGroups?.length === 1 &&
      r.resources?.length === 1;
    if (!isSimple) {
      compacted.push(r);
      continue;
    }
    const k = JSON.stringify([
      r.apiGroups![0],
      r.resources![0],
      r.resourceNames?.length ? r.resourceNames[0] : null,
    ]);
    const existing = simple.get(k);
    if (existing) existing.verbs = [...existing.verbs, ...r.verbs];
    else simple.set(k, { ...r, verbs: [...r.verbs] });
  }
  // Go iterates a map here (random order); callers sort the printed strings.
  return [...compacted, ...simple.values()];
}

/** Go's %q of a []string: ["a" "b"]. */
export const goQuoteList = (l: readonly string[]): string => `[${l.map((s) => JSON.stringify(s)).join(' ')}]`;

/** rbacv1helpers.CompactString. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${goQuoteList(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${goQuoteList(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${goQuoteList(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${goQuoteList(r.resourceNames)}`);
  if (r.verbs?.length) parts.push(`Verbs:${goQuoteList(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}
