// ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding validation
// (pkg/apis/admissionregistration/validation, v1.32). CEL expressions are compile-checked only.
import { goSlice } from '../api/field-errors.js';
import { isObject } from '../api/object.js';
import type { KubeObject } from '../api/object.js';
import type { FieldError } from '../api/status.js';
import { isDNS1123Subdomain } from '../api/name-validation.js';
import { validatePathSegmentName } from '../api/name-validation.js';
import { validateCelExpression } from './cel-expressions.js';
import { asArray, duplicate, invalidValue, notSupported, required } from './field-errors.js';
import { validateLabelSelector } from '../api/labels.js';
import { validateRuleWithOperations, type RuleShape } from './rules.js';
import {
  FAILURE_POLICIES,
  MATCH_POLICIES,
  validateMatchConditions,
  type MatchCondition,
} from './webhook-validation.js';

const VALIDATION_ACTIONS = ['Audit', 'Deny', 'Warn'];
const REASONS = ['Forbidden', 'Invalid', 'RequestEntityTooLarge'];
const MAX_AUDIT_ANNOTATIONS = 20;
const CEL_IDENTIFIER = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

interface Validation {
  expression?: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
}

function validateNamedRule(rule: RuleShape, fld: string): FieldError[] {
  const errs = validateRuleWithOperations(rule, fld);
  asArray<string>(rule.resourceNames).forEach((n, i) => {
    for (const msg of validatePathSegmentName(n, false))
      errs.push(invalidValue(`${fld}.resourceNames[${i}]`, n, msg));
  });
  return errs;
}

/** validateMatchResources (defaults have filled matchPolicy and the selectors). */
export function validateMatchResources(mc: unknown, fld: string): FieldError[] {
  if (!isObject(mc)) return [];
  const errs: FieldError[] = [];
  const policy = mc['matchPolicy'];
  if (policy === undefined) errs.push(required(`${fld}.matchPolicy`));
  else if (!MATCH_POLICIES.includes(String(policy)))
    errs.push(notSupported(`${fld}.matchPolicy`, policy, MATCH_POLICIES));
  for (const sel of ['namespaceSelector', 'objectSelector']) {
    if (mc[sel] === undefined) errs.push(required(`${fld}.${sel}`));
    else errs.push(...validateLabelSelector(mc[sel], `${fld}.${sel}`));
  }
  for (const list of ['resourceRules', 'excludeResourceRules']) {
    asArray<RuleShape>(mc[list]).forEach((r, i) =>
      errs.push(...validateNamedRule(r, `${fld}.${list}[${i}]`)),
    );
  }
  return errs;
}

function validateValidation(v: Validation, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const expr = (v.expression ?? '').trim();
  if (expr.length === 0) errs.push(required(`${fld}.expression`, 'expression is not specified'));
  else errs.push(...validateCelExpression(v.expression!, `${fld}.expression`));
  const msgExpr = v.messageExpression ?? '';
  if (msgExpr.length > 0 && msgExpr.trim().length === 0)
    errs.push(invalidValue(`${fld}.messageExpression`, msgExpr, 'must be non-empty if specified'));
  else if (msgExpr.trim().length > 0)
    errs.push(...validateCelExpression(msgExpr, `${fld}.messageExpression`));
  const msg = v.message ?? '';
  if (msg.length > 0 && msg.trim().length === 0)
    errs.push(invalidValue(`${fld}.message`, msg, 'message must be non-empty if specified'));
  else if (/[\n\r]/.test(msg.trim()))
    errs.push(invalidValue(`${fld}.message`, msg, 'message must not contain line breaks'));
  if (v.reason !== undefined && !REASONS.includes(v.reason))
    errs.push(notSupported(`${fld}.reason`, v.reason, REASONS));
  return errs;
}

export function validateValidatingAdmissionPolicy(obj: KubeObject): FieldError[] {
  const spec = isObject(obj['spec']) ? obj['spec'] : {};
  const fld = 'spec';
  const errs: FieldError[] = [];
  const fp = spec['failurePolicy'];
  if (fp === undefined) errs.push(required(`${fld}.failurePolicy`));
  else if (!FAILURE_POLICIES.includes(String(fp)))
    errs.push(notSupported(`${fld}.failurePolicy`, fp, FAILURE_POLICIES));
  const paramKind = spec['paramKind'];
  if (isObject(paramKind)) {
    if (!paramKind['apiVersion']) errs.push(required(`${fld}.paramKind.apiVersion`));
    if (!paramKind['kind']) errs.push(required(`${fld}.paramKind.kind`));
  }
  const mc = spec['matchConstraints'];
  if (!isObject(mc)) errs.push(required(`${fld}.matchConstraints`));
  else {
    errs.push(...validateMatchResources(mc, `${fld}.matchConstraints`));
    if (asArray(mc['resourceRules']).length === 0)
      errs.push(required(`${fld}.matchConstraints.resourceRules`));
  }
  errs.push(
    ...validateMatchConditions(asArray<MatchCondition>(spec['matchConditions']), `${fld}.matchConditions`),
  );
  asArray<{ name?: string; expression?: string }>(spec['variables']).forEach((v, i) => {
    const f = `${fld}.variables[${i}]`;
    if (!v.name || v.name.trim() === '') errs.push(required(`${f}.name`, 'name is not specified'));
    else if (!CEL_IDENTIFIER.test(v.name))
      errs.push(invalidValue(`${f}.name`, v.name, 'name is not a valid CEL identifier'));
    if (!v.expression || v.expression.trim() === '')
      errs.push(required(`${f}.expression`, 'expression is not specified'));
    else errs.push(...validateCelExpression(v.expression, `${f}.expression`));
  });
  const validations = asArray<Validation>(spec['validations']);
  const audits = asArray<{ key?: string; valueExpression?: string }>(spec['auditAnnotations']);
  if (validations.length === 0 && audits.length === 0) {
    const detail = 'validations or auditAnnotations must contain at least one item';
    errs.push(required(`${fld}.validations`, detail), required(`${fld}.auditAnnotations`, detail));
  } else {
    validations.forEach((v, i) => errs.push(...validateValidation(v, `${fld}.validations[${i}]`)));
    if (audits.length > MAX_AUDIT_ANNOTATIONS)
      errs.push(
        invalidValue(
          `${fld}.auditAnnotations`,
          audits,
          `must not have more than ${MAX_AUDIT_ANNOTATIONS} auditAnnotations`,
        ),
      );
    const keys = new Set<string>();
    audits.forEach((a, i) => {
      const f = `${fld}.auditAnnotations[${i}]`;
      const key = a.key ?? '';
      if (!a.valueExpression || a.valueExpression.trim() === '')
        errs.push(required(`${f}.valueExpression`, 'valueExpression is not specified'));
      else errs.push(...validateCelExpression(a.valueExpression, `${f}.valueExpression`));
      if (keys.has(key)) errs.push(duplicate(`${f}.key`, key));
      keys.add(key);
    });
  }
  return errs;
}

function validateValidationActions(actions: string[], fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  actions.forEach((a, i) => {
    if (seen.has(a)) errs.push(duplicate(`${fld}[${i}]`, a));
    seen.add(a);
    if (!VALIDATION_ACTIONS.includes(a)) errs.push(notSupported(`${fld}[${i}]`, a, VALIDATION_ACTIONS));
  });
  if (seen.has('Deny') && seen.has('Warn')) {
    errs.push(
      invalidValue(
        fld,
        goSlice('admissionregistration.ValidationAction', actions),
        'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
      ),
    );
  }
  if (actions.length === 0) errs.push(required(fld, 'at least one validation action is required'));
  return errs;
}

function validateParamRef(pr: unknown, fld: string): FieldError[] {
  if (!isObject(pr)) return [];
  const errs: FieldError[] = [];
  const name = typeof pr['name'] === 'string' ? pr['name'] : '';
  const selector = pr['selector'];
  const exclusive = 'name and selector are mutually exclusive';
  if (name.length > 0) {
    for (const msg of validatePathSegmentName(name, false)) errs.push(invalidValue(`${fld}.name`, name, msg));
    if (selector !== undefined && selector !== null)
      errs.push({ type: 'FieldValueForbidden', field: `${fld}.name`, detail: exclusive });
  }
  if (selector !== undefined && selector !== null) {
    errs.push(...validateLabelSelector(selector, `${fld}.selector`));
    if (name.length > 0)
      errs.push({ type: 'FieldValueForbidden', field: `${fld}.selector`, detail: exclusive });
  }
  if (name.length === 0 && (selector === undefined || selector === null))
    errs.push(required(fld, 'one of name or selector must be specified'));
  const action = pr['parameterNotFoundAction'];
  if (!action) errs.push(required(`${fld}.parameterNotFoundAction`));
  else if (action !== 'Deny' && action !== 'Allow')
    errs.push(notSupported(`${fld}.parameterNotFoundAction`, action, ['Deny', 'Allow']));
  return errs;
}

export function validateValidatingAdmissionPolicyBinding(obj: KubeObject): FieldError[] {
  const spec = isObject(obj['spec']) ? obj['spec'] : {};
  const errs: FieldError[] = [];
  const policyName = typeof spec['policyName'] === 'string' ? spec['policyName'] : '';
  if (policyName.length === 0) errs.push(required('spec.policyName'));
  else
    for (const msg of isDNS1123Subdomain(policyName))
      errs.push(invalidValue('spec.policyName', policyName, msg));
  errs.push(...validateParamRef(spec['paramRef'], 'spec.paramRef'));
  errs.push(...validateMatchResources(spec['matchResources'], 'spec.matchResources'));
  errs.push(
    ...validateValidationActions(asArray<string>(spec['validationActions']), 'spec.validationActions'),
  );
  return errs;
}
