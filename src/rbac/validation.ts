// Validation of the RBAC kinds as k8s.io/kubernetes/pkg/apis/rbac/validation (names are
// path segments, checked by the generic registry; here: rules, aggregationRule, roleRef, subjects).
import type { FieldError } from '../api/status.js';
import { validateAnnotations } from '../apiextensions/index.js';
import { selectorErrors, validateLabels } from '../api/labels.js';
import { isDNS1123Subdomain, isValidPathSegmentName } from '../api/name-validation.js';
import { RBAC_GROUP, type BindingObject, type PolicyRule, type RoleObject, type Subject } from './types.js';

const required = (field: string, detail = ''): FieldError => ({
  type: 'FieldValueRequired',
  field,
  detail: detail || undefined,
});
const invalidErr = (field: string, value: unknown, detail: string): FieldError => ({
  type: 'FieldValueInvalid',
  field,
  value,
  detail,
});
const notSupported = (field: string, value: unknown, allowed: string[]): FieldError => ({
  type: 'FieldValueNotSupported',
  field,
  value,
  detail: `supported values: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`,
});

function metaErrors(obj: { metadata?: { labels?: unknown; annotations?: unknown } }): FieldError[] {
  return [
    ...validateLabels(obj.metadata?.labels, 'metadata.labels'),
    ...validateAnnotations(obj.metadata?.annotations, 'metadata.annotations'),
  ];
}

export function validatePolicyRule(rule: PolicyRule, namespaced: boolean, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!rule.verbs?.length) errs.push(required(`${fld}.verbs`, 'verbs must contain at least one value'));
  if (rule.nonResourceURLs?.length) {
    if (namespaced)
      errs.push(
        invalidGo(
          `${fld}.nonResourceURLs`,
          goStrings(rule.nonResourceURLs),
          'namespaced rules cannot apply to non-resource URLs',
        ),
      );
    if (rule.apiGroups?.length || rule.resources?.length || rule.resourceNames?.length) {
      errs.push(
        invalidGo(
          `${fld}.nonResourceURLs`,
          goStrings(rule.nonResourceURLs),
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    }
    return errs;
  }
  if (!rule.apiGroups?.length)
    errs.push(required(`${fld}.apiGroups`, 'resource rules must supply at least one api group'));
  if (!rule.resources?.length)
    errs.push(required(`${fld}.resources`, 'resource rules must supply at least one resource'));
  return errs;
}

export function validateRole(role: RoleObject, namespaced: boolean): FieldError[] {
  const errs = metaErrors(role);
  (role.rules ?? []).forEach((r, i) => errs.push(...validatePolicyRule(r, namespaced, `rules[${i}]`)));
  const agg = role.aggregationRule;
  if (!namespaced && agg) {
    if (!agg.clusterRoleSelectors?.length)
      errs.push(
        required(
          'aggregationRule.clusterRoleSelectors',
          'at least one clusterRoleSelector required if aggregationRule is non-nil',
        ),
      );
    (agg.clusterRoleSelectors ?? []).forEach((s, i) => {
      for (const msg of selectorErrors(s))
        errs.push(invalidErr(`aggregationRule.clusterRoleSelectors[${i}]`, s, msg));
    });
  }
  return errs;
}

function validateSubject(s: Subject, namespaced: boolean, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.name) errs.push(required(`${fld}.name`));
  switch (s.kind) {
    case 'ServiceAccount':
      if (s.name)
        for (const msg of isDNS1123Subdomain(s.name)) errs.push(invalidErr(`${fld}.name`, s.name, msg));
      if (s.apiGroup) errs.push(notSupported(`${fld}.apiGroup`, s.apiGroup, ['']));
      if (!namespaced && !s.namespace) errs.push(required(`${fld}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== RBAC_GROUP)
        errs.push(notSupported(`${fld}.apiGroup`, s.apiGroup ?? '', [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(`${fld}.kind`, s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

export function validateBinding(b: BindingObject, namespaced: boolean): FieldError[] {
  const errs = metaErrors(b);
  const ref = b.roleRef ?? { apiGroup: '', kind: '', name: '' };
  if (ref.apiGroup !== RBAC_GROUP)
    errs.push(notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) errs.push(notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) errs.push(required('roleRef.name'));
  else
    for (const msg of isValidPathSegmentName(ref.name)) errs.push(invalidErr('roleRef.name', ref.name, msg));
  (b.subjects ?? []).forEach((s, i) => errs.push(...validateSubject(s, namespaced, `subjects[${i}]`)));
  return errs;
}

/** Go's %v of a RoleRef struct, as `field.Invalid(roleRef, ...)` prints it. */
const roleRefValue = (r: BindingObject['roleRef']): string =>
  `rbac.RoleRef{APIGroup:${JSON.stringify(r?.apiGroup ?? '')}, Kind:${JSON.stringify(r?.kind ?? '')}, Name:${JSON.stringify(r?.name ?? '')}}`;
/** Go's %#v of a []string. */
const goStrings = (l: string[]): string => `[]string{${l.map((x) => JSON.stringify(x)).join(', ')}}`;
/** An Invalid error whose value prints as Go's %#v (not JSON). */
const invalidGo = (field: string, goValue: string, detail: string): FieldError => ({
  type: 'FieldValueInvalid',
  field,
  omitValue: true,
  detail: `${goValue}: ${detail}`,
});

export function validateBindingUpdate(
  b: BindingObject,
  old: BindingObject,
  namespaced: boolean,
): FieldError[] {
  const errs = validateBinding(b, namespaced);
  const a = b.roleRef ?? {};
  const o = old.roleRef ?? {};
  if (a.apiGroup !== o.apiGroup || a.kind !== o.kind || a.name !== o.name) {
    errs.push(invalidGo('roleRef', roleRefValue(b.roleRef), 'cannot change roleRef'));
  }
  return errs;
}

/** rbac/v1 defaulting: roleRef.apiGroup and User/Group subjects' apiGroup. */
export function defaultBinding(b: BindingObject): void {
  if (b.roleRef && !b.roleRef.apiGroup) b.roleRef.apiGroup = RBAC_GROUP;
  for (const s of b.subjects ?? []) {
    if (!s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
  }
}
