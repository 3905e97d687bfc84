// Mutating/ValidatingWebhookConfiguration validation (pkg/apis/admissionregistration/validation,
// v1.32): webhook names, rules, policies, side effects, timeouts, selectors, clientConfig,
// admissionReviewVersions and matchConditions (compiled as CEL). Updates use the create rules.
import { goSlice } from '../api/field-errors.js';
import { isObject } from '../api/object.js';
import type { KubeObject } from '../api/object.js';
import type { FieldError } from '../api/status.js';
import { isDNS1035Label, isDNS1123Subdomain, isQualifiedName } from '../api/name-validation.js';
import { validateCelExpression } from './cel-expressions.js';
import { asArray, duplicate, invalidValue, notSupported, required, tooMany } from './field-errors.js';
import { validateLabelSelector } from '../api/labels.js';
import { validateRuleWithOperations, type RuleShape } from './rules.js';
import { validateWebhookService, validateWebhookURL } from '../api/webhook-client-config.js';

export const FAILURE_POLICIES = ['Fail', 'Ignore'];
export const MATCH_POLICIES = ['Equivalent', 'Exact'];
const NO_SIDE_EFFECTS = ['None', 'NoneOnDryRun'];
const REINVOCATION_POLICIES = ['IfNeeded', 'Never'];
const REVIEW_VERSIONS = ['v1', 'v1beta1'];

export interface MatchCondition {
  name?: string;
  expression?: string;
}

interface Webhook {
  name?: string;
  rules?: RuleShape[];
  failurePolicy?: string;
  matchPolicy?: string;
  sideEffects?: string;
  timeoutSeconds?: number;
  namespaceSelector?: unknown;
  objectSelector?: unknown;
  reinvocationPolicy?: string;
  admissionReviewVersions?: string[];
  matchConditions?: MatchCondition[];
  clientConfig?: {
    url?: string;
    service?: { name?: string; namespace?: string; path?: string; port?: number };
    caBundle?: string;
  };
}

/** utilvalidation.IsFullyQualifiedName: a DNS subdomain with at least three segments. */
export function validateFullyQualifiedName(name: string, fld: string): FieldError[] {
  if (name.length === 0) return [required(fld)];
  const lower = name.toLowerCase();
  const errs = isDNS1123Subdomain(lower);
  if (errs.length > 0) return [invalidValue(fld, lower, errs.join(','))];
  if (lower.split('.').length < 3)
    return [invalidValue(fld, lower, 'should be a domain with at least three segments separated by dots')];
  return [];
}

/** validateMatchConditions: at most 64, unique qualified names, expressions that compile. */
export function validateMatchConditions(conditions: MatchCondition[], fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (conditions.length > 64) errs.push(tooMany(fld, conditions.length, 64));
  const names = new Set<string>();
  conditions.forEach((c, i) => {
    const f = `${fld}[${i}]`;
    const expr = (c.expression ?? '').trim();
    if (expr.length === 0) errs.push(required(`${f}.expression`));
    else errs.push(...validateCelExpression(expr, `${f}.expression`));
    const name = c.name ?? '';
    if (name.length === 0) errs.push(required(`${f}.name`));
    else for (const msg of isQualifiedName(name)) errs.push(invalidValue(`${f}.name`, name, msg));
    if (name.length > 0) {
      if (names.has(name)) errs.push(duplicate(`${f}.name`, name));
      else names.add(name);
    }
  });
  return errs;
}

function validateReviewVersions(versions: string[], fld: string): FieldError[] {
  if (versions.length < 1) return [required(fld, `must specify one of ${REVIEW_VERSIONS.join(', ')}`)];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let accepted = false;
  versions.forEach((v, i) => {
    if (seen.has(v)) {
      errs.push(invalidValue(`${fld}[${i}]`, v, 'duplicate version'));
      return;
    }
    seen.add(v);
    for (const m of isDNS1035Label(v)) errs.push(invalidValue(`${fld}[${i}]`, v, m));
    if (REVIEW_VERSIONS.includes(v)) accepted = true;
  });
  if (!accepted)
    errs.push(
      invalidValue(
        fld,
        goSlice('string', versions),
        `must include at least one of ${REVIEW_VERSIONS.join(', ')}`,
      ),
    );
  return errs;
}

function validateWebhook(hook: Webhook, mutating: boolean, fld: string): FieldError[] {
  const errs = validateFullyQualifiedName(hook.name ?? '', `${fld}.name`);
  asArray<RuleShape>(hook.rules).forEach((r, i) =>
    errs.push(...validateRuleWithOperations(r, `${fld}.rules[${i}]`)),
  );
  if (hook.failurePolicy !== undefined && !FAILURE_POLICIES.includes(hook.failurePolicy))
    errs.push(notSupported(`${fld}.failurePolicy`, hook.failurePolicy, FAILURE_POLICIES));
  if (hook.matchPolicy !== undefined && !MATCH_POLICIES.includes(hook.matchPolicy))
    errs.push(notSupported(`${fld}.matchPolicy`, hook.matchPolicy, MATCH_POLICIES));
  if (hook.sideEffects === undefined || hook.sideEffects === null)
    errs.push(required(`${fld}.sideEffects`, `must specify one of ${NO_SIDE_EFFECTS.join(', ')}`));
  else if (!NO_SIDE_EFFECTS.includes(hook.sideEffects))
    errs.push(notSupported(`${fld}.sideEffects`, hook.sideEffects, NO_SIDE_EFFECTS));
  if (hook.timeoutSeconds !== undefined && (hook.timeoutSeconds > 30 || hook.timeoutSeconds < 1)) {
    errs.push(
      invalidValue(
        `${fld}.timeoutSeconds`,
        hook.timeoutSeconds,
        'the timeout value must be between 1 and 30 seconds',
      ),
    );
  }
  errs.push(...validateLabelSelector(hook.namespaceSelector, `${fld}.namespaceSelector`));
  errs.push(...validateLabelSelector(hook.objectSelector, `${fld}.objectSelector`));
  if (
    mutating &&
    hook.reinvocationPolicy !== undefined &&
    !REINVOCATION_POLICIES.includes(hook.reinvocationPolicy)
  ) {
    errs.push(notSupported(`${fld}.reinvocationPolicy`, hook.reinvocationPolicy, REINVOCATION_POLICIES));
  }
  const cc = isObject(hook.clientConfig) ? hook.clientConfig : {};
  const hasURL = typeof cc.url === 'string';
  const hasService = isObject(cc.service);
  if (hasURL === hasService)
    errs.push(required(`${fld}.clientConfig`, 'exactly one of url or service is required'));
  else if (hasURL) errs.push(...validateWebhookURL(cc.url!, `${fld}.clientConfig.url`));
  else errs.push(...validateWebhookService(cc.service!, `${fld}.clientConfig.service`));
  errs.push(
    ...validateMatchConditions(asArray<MatchCondition>(hook.matchConditions), `${fld}.matchConditions`),
  );
  return errs;
}

/** Validation of a webhook configuration's webhooks (metadata is validated by the registry). */
export function validateWebhookConfiguration(obj: KubeObject, mutating: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  asArray<Webhook>(obj['webhooks']).forEach((hook, i) => {
    const fld = `webhooks[${i}]`;
    errs.push(...validateWebhook(hook, mutating, fld));
    errs.push(
      ...validateReviewVersions(
        asArray<string>(hook.admissionReviewVersions),
        `${fld}.admissionReviewVersions`,
      ),
    );
    const name = hook.name ?? '';
    if (name.length > 0) {
      if (names.has(name)) errs.push(duplicate(`${fld}.name`, name));
      else names.add(name);
    }
  });
  return errs;
}
