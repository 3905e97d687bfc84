// Whether a webhook is called for a request (webhook/generic/webhook.go ShouldCallHook): the
// webhook configurations and policies themselves are exempt; then the namespace and object
// selectors (on the tenant's VIRTUAL labels), the rules (exactly, then under matchPolicy
// Equivalent on an equivalent resource: the same group and resource in another served version).
import type { AdmissionAttributes } from '../attributes.js';
import { matches, ruleMatches } from '../policy/match.js';
import type { Webhook } from './types.js';

/** rules.IsExemptAdmissionConfigurationResource: a tenant can always repair its own configurations. */
const EXEMPT = new Set([
  'validatingwebhookconfigurations',
  'mutatingwebhookconfigurations',
  'validatingadmissionpolicies',
  'validatingadmissionpolicybindings',
  'mutatingadmissionpolicies',
  'mutatingadmissionpolicybindings',
]);

export const isExempt = (a: AdmissionAttributes): boolean =>
  a.resource.group === 'admissionregistration.k8s.io' && EXEMPT.has(a.resource.resource);

/** The same resource as served in another version (kind included): EquivalentResourcesFor. */
export interface Equivalent {
  version: string;
  kind: string;
}

/** What a matched webhook is called with: the resource and kind of the version its rule named. */
export interface Invocation {
  resource: AdmissionAttributes['resource'];
  kind: AdmissionAttributes['kind'];
}

/** The rules part, before the objects are known: cheap, no I/O. */
export function rulesInvocation(
  w: Webhook,
  a: AdmissionAttributes,
  equivalents: (a: AdmissionAttributes) => Equivalent[],
): Invocation | undefined {
  const rules = w.rules ?? [];
  if (rules.some((r) => ruleMatches(r, a))) return { resource: a.resource, kind: a.kind };
  if ((w.matchPolicy ?? 'Equivalent') !== 'Equivalent') return undefined;
  const others = equivalents(a).filter((e) => e.version !== a.resource.version);
  for (const r of rules)
    for (const e of others) {
      const resource = { ...a.resource, version: e.version };
      if (ruleMatches(r, { ...a, resource }))
        return { resource, kind: { group: a.kind.group, version: e.version, kind: e.kind } };
    }
  return undefined;
}

/** The selectors part: the namespace's virtual labels (a Namespace's own), the object's labels. */
export function selectorsMatch(
  w: Webhook,
  a: AdmissionAttributes,
  namespaceLabels: (ns: string) => Record<string, string> | undefined,
): boolean {
  return matches(
    { namespaceSelector: w.namespaceSelector, objectSelector: w.objectSelector },
    a,
    namespaceLabels,
  );
}
