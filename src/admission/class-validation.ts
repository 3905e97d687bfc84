// RuntimeClass, PriorityClass and IngressClass validation and v1 defaulting, as the apiserver's
// (pkg/apis/{node,scheduling,networking}/validation and v1 defaults, v1.32). Not checked yet:
// RuntimeClass overhead quantities and tolerations (kplex has no quantity parser).
import { fieldErr } from '../api/field-errors.js';
import { isObject } from '../api/object.js';
import type { KubeObject } from '../api/object.js';
import type { FieldError } from '../api/status.js';
import { isDNS1123Subdomain, nameIsDNSLabel } from '../api/name-validation.js';
import { validateLabels } from '../api/labels.js';
import { invalidValue, notSupported, required } from './field-errors.js';
import { immutable, valueAt } from './values.js';

/** RuntimeClass: handler a DNS-1123 label (immutable), scheduling.nodeSelector labels. */
export function validateRuntimeClass(o: KubeObject): FieldError[] {
  const handler = typeof o['handler'] === 'string' ? o['handler'] : '';
  return [
    ...nameIsDNSLabel(handler, false).map((m) => invalidValue('handler', handler, m)),
    ...validateLabels(valueAt(o, 'scheduling', 'nodeSelector'), 'scheduling.nodeSelector'),
  ];
}

export const validateRuntimeClassUpdate = (o: KubeObject, old: KubeObject): FieldError[] =>
  immutable(o, old, 'handler');

const SYSTEM_PREFIX = 'system-';
/** The apiserver's built-in classes (scheduling.SystemPriorityClasses). */
const SYSTEM_CLASSES: Readonly<Record<string, number>> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};
const HIGHEST_USER_PRIORITY = 1000000000;
// In the apiserver's order (field.NotSupported over a slice, not a sorted set).
const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'];

export function defaultPriorityClass(o: KubeObject): void {
  o['preemptionPolicy'] ??= 'PreemptLowerPriority';
  // globalDefault is omitempty: the apiserver never writes false
  if (o['globalDefault'] === false) delete o['globalDefault'];
}

/** scheduling.IsKnownSystemPriorityClass's error, or undefined. */
function systemClassError(name: string, value: unknown, globalDefault: unknown): string | undefined {
  const want = SYSTEM_CLASSES[name];
  if (want === undefined) return `${name} is not a known system priority class`;
  if (value !== want) return `value of ${name} PriorityClass must be ${want}`;
  if (globalDefault === true) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

export function validatePriorityClass(o: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = o.metadata?.name ?? '';
  const value = o['value'] ?? 0;
  if (name.startsWith(SYSTEM_PREFIX)) {
    const why = systemClassError(name, value, o['globalDefault']);
    if (why)
      errs.push(
        fieldErr.forbidden(
          'metadata.name',
          `priority class names with '${SYSTEM_PREFIX}' prefix are reserved for system use only. error: ${why}`,
        ),
      );
  } else if (typeof value === 'number' && value > HIGHEST_USER_PRIORITY) {
    errs.push(
      fieldErr.forbidden(
        'value',
        `maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}`,
      ),
    );
  }
  const policy = o['preemptionPolicy'];
  if (policy !== undefined && !PREEMPTION_POLICIES.includes(String(policy)))
    errs.push(fieldErr.notSupported('preemptionPolicy', policy, PREEMPTION_POLICIES));
  return errs;
}

export function validatePriorityClassUpdate(o: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if ((o['value'] ?? 0) !== (old['value'] ?? 0))
    errs.push(fieldErr.forbidden('value', 'may not be changed in an update.'));
  return [...errs, ...immutable(o, old, 'preemptionPolicy')];
}

const MAX_CONTROLLER = 250;
const HTTP_PATH_FMT = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";

/** validation.IsDomainPrefixedPath. */
function domainPrefixedPath(field: string, v: string): FieldError[] {
  const slash = v.indexOf('/');
  const host = slash < 0 ? '' : v.slice(0, slash);
  const path = slash < 0 ? '' : v.slice(slash + 1);
  if (!host || !path)
    return [invalidValue(field, v, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const errs = isDNS1123Subdomain(host).map((m) => invalidValue(field, host, m));
  if (!new RegExp(`^${HTTP_PATH_FMT}$`).test(path))
    errs.push(invalidValue(field, path, `Invalid path (regex used for validation is '${HTTP_PATH_FMT}')`));
  return errs;
}

export function defaultIngressClass(o: KubeObject): void {
  const params = valueAt(o, 'spec', 'parameters');
  if (isObject(params)) params['scope'] ??= 'Cluster';
}

export function validateIngressClass(o: KubeObject): FieldError[] {
  const controller = valueAt(o, 'spec', 'controller');
  const c = typeof controller === 'string' ? controller : '';
  const errs: FieldError[] = [];
  if (c.length > MAX_CONTROLLER) errs.push(fieldErr.tooLong('spec.controller', MAX_CONTROLLER));
  errs.push(...domainPrefixedPath('spec.controller', c));
  const p = valueAt(o, 'spec', 'parameters');
  if (isObject(p)) {
    const f = 'spec.parameters';
    if (typeof p['apiGroup'] === 'string')
      errs.push(
        ...isDNS1123Subdomain(p['apiGroup']).map((m) => invalidValue(`${f}.apiGroup`, p['apiGroup'], m)),
      );
    if (!p['kind']) errs.push(required(`${f}.kind`));
    if (!p['name']) errs.push(required(`${f}.name`));
    const scope = p['scope'];
    if (scope === 'Namespace' && !p['namespace'])
      errs.push(required(`${f}.namespace`, "`parameters.scope` is set to 'Namespace'"));
    else if (scope === 'Cluster' && p['namespace'] !== undefined)
      errs.push(fieldErr.forbidden(`${f}.namespace`, "`parameters.scope` is set to 'Cluster'"));
    else if (scope !== 'Namespace' && scope !== 'Cluster')
      errs.push(notSupported(`${f}.scope`, scope, ['Cluster', 'Namespace']));
  }
  return errs;
}

export const validateIngressClassUpdate = (o: KubeObject, old: KubeObject): FieldError[] =>
  immutable(o, old, 'spec', 'controller');
