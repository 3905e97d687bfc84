// Which writes a policy or binding applies to (admission/plugin/policy/matching and
// webhook/predicates/rules): resource rules with operations, groups, versions, resources,
// subresources, names and scope; exclusions; namespace and object label selectors.
import { selectorMatches, type LabelSelectorShape } from '../../api/labels.js';
import type { AdmissionAttributes } from '../attributes.js';

export interface NamedRule {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  resourceNames?: string[];
  scope?: string;
}

export interface MatchResources {
  namespaceSelector?: LabelSelectorShape;
  objectSelector?: LabelSelectorShape;
  resourceRules?: NamedRule[];
  excludeResourceRules?: NamedRule[];
  matchPolicy?: string;
}

const anyOf = (list: string[] | undefined, v: string): boolean =>
  (list ?? []).some((x) => x === '*' || x === v);

const isNamespaceResource = (a: AdmissionAttributes): boolean =>
  a.resource.group === '' && a.resource.resource === 'namespaces';

function resourceMatches(resources: string[] | undefined, a: AdmissionAttributes): boolean {
  for (const r of resources ?? []) {
    const slash = r.indexOf('/');
    const res = slash < 0 ? r : r.slice(0, slash);
    const sub = slash < 0 ? '' : r.slice(slash + 1);
    if ((res === '*' || res === a.resource.resource) && (sub === '*' || sub === a.subresource)) return true;
  }
  return false;
}

function scopeMatches(scope: string | undefined, a: AdmissionAttributes): boolean {
  if (!scope || scope === '*') return true;
  // A Namespace is cluster-scoped although its attributes carry its own name as namespace.
  if (scope === 'Namespaced') return !isNamespaceResource(a) && a.namespace !== '';
  if (scope === 'Cluster') return isNamespaceResource(a) || a.namespace === '';
  return false;
}

/** rules.Matcher: one rule against the request as addressed. */
export function ruleMatches(r: NamedRule, a: AdmissionAttributes): boolean {
  return (
    anyOf(r.operations, a.operation) &&
    anyOf(r.apiGroups, a.resource.group) &&
    anyOf(r.apiVersions, a.resource.version) &&
    resourceMatches(r.resources, a) &&
    scopeMatches(r.scope, a) &&
    (!r.resourceNames?.length || r.resourceNames.includes(a.name))
  );
}

/** The rules part of a match, without label selectors: cheap, and known before the object is. */
export function rulesMatch(m: MatchResources | undefined, a: AdmissionAttributes): boolean {
  if (!m) return true;
  if ((m.excludeResourceRules ?? []).some((r) => ruleMatches(r, a))) return false;
  return !m.resourceRules?.length || m.resourceRules.some((r) => ruleMatches(r, a));
}

const selects = (sel: LabelSelectorShape | undefined, labels: Record<string, string> | undefined): boolean =>
  !sel || selectorMatches(sel, labels);

/**
 * The whole match: rules, then the namespace selector (on the labels of the object's namespace;
 * a Namespace is matched on its own labels; other cluster-scoped objects always match), then the
 * object selector (on the new or the old object's labels).
 */
export function matches(
  m: MatchResources | undefined,
  a: AdmissionAttributes,
  namespaceLabels: (name: string) => Record<string, string> | undefined,
): boolean {
  if (!m) return true;
  if (!rulesMatch(m, a)) return false;
  if (isNamespaceResource(a)) {
    const own = (a.object ?? a.oldObject)?.metadata?.labels;
    if (!selects(m.namespaceSelector, own)) return false;
  } else if (a.namespace && !selects(m.namespaceSelector, namespaceLabels(a.namespace))) return false;
  if (!m.objectSelector) return true;
  return (
    (a.object !== null && selects(m.objectSelector, a.object.metadata?.labels ?? {})) ||
    (a.oldObject !== null && selects(m.objectSelector, a.oldObject.metadata?.labels ?? {}))
  );
}
