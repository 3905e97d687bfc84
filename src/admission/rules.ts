// admissionregistration Rule / RuleWithOperations validation (pkg/apis/admissionregistration/
// validation: validateRule, validateResources, validateRuleWithOperations).
import { goSlice } from '../api/field-errors.js';
import type { FieldError } from '../api/status.js';
import { asArray, invalidValue, notSupported, required } from './field-errors.js';

export const SCOPES = ['*', 'Cluster', 'Namespaced'];
export const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];

const hasWildcard = (l: string[]): boolean => l.includes('*');

function validateResources(resources: string[], fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (resources.length === 0) errs.push(required(fld));
  const wildcardSubOf = new Set<string>(); // x/*
  const wildcardResOf = new Set<string>(); // */x
  let doubleWildcard = false;
  let singleWildcard = false;
  let withoutSubresource = false;
  resources.forEach((resSub, i) => {
    if (resSub === '') {
      errs.push(required(`${fld}[${i}]`));
      return;
    }
    if (resSub === '*/*') doubleWildcard = true;
    if (resSub === '*') singleWildcard = true;
    const slash = resSub.indexOf('/');
    if (slash < 0) {
      withoutSubresource = resSub !== '*';
      return;
    }
    const res = resSub.slice(0, slash);
    const sub = resSub.slice(slash + 1);
    if (wildcardSubOf.has(res))
      errs.push(invalidValue(`${fld}[${i}]`, resSub, `if '${res}/*' is present, must not specify ${resSub}`));
    if (wildcardResOf.has(sub))
      errs.push(invalidValue(`${fld}[${i}]`, resSub, `if '*/${sub}' is present, must not specify ${resSub}`));
    if (sub === '*') wildcardSubOf.add(res);
    if (res === '*') wildcardResOf.add(sub);
  });
  if (resources.length > 1 && doubleWildcard)
    errs.push(
      invalidValue(
        fld,
        goSlice('string', resources),
        "if '*/*' is present, must not specify other resources",
      ),
    );
  if (singleWildcard && withoutSubresource)
    errs.push(
      invalidValue(
        fld,
        goSlice('string', resources),
        "if '*' is present, must not specify other resources without subresources",
      ),
    );
  return errs;
}

export interface RuleShape {
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: string;
  operations?: string[];
  resourceNames?: string[];
}

export function validateRule(rule: RuleShape, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const groups = asArray<string>(rule.apiGroups);
  const versions = asArray<string>(rule.apiVersions);
  if (groups.length === 0) errs.push(required(`${fld}.apiGroups`));
  if (groups.length > 1 && hasWildcard(groups))
    errs.push(
      invalidValue(`${fld}.apiGroups`, groups, "if '*' is present, must not specify other API groups"),
    );
  if (versions.length === 0) errs.push(required(`${fld}.apiVersions`));
  if (versions.length > 1 && hasWildcard(versions))
    errs.push(
      invalidValue(`${fld}.apiVersions`, versions, "if '*' is present, must not specify other API versions"),
    );
  versions.forEach((v, i) => {
    if (v === '') errs.push(required(`${fld}.apiVersions[${i}]`));
  });
  errs.push(...validateResources(asArray<string>(rule.resources), `${fld}.resources`));
  if (rule.scope !== undefined && !SCOPES.includes(rule.scope))
    errs.push(notSupported(`${fld}.scope`, rule.scope, SCOPES));
  return errs;
}

export function validateRuleWithOperations(rule: RuleShape, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const ops = asArray<string>(rule.operations);
  if (ops.length === 0) errs.push(required(`${fld}.operations`));
  if (ops.length > 1 && hasWildcard(ops))
    errs.push(
      invalidValue(
        `${fld}.operations`,
        goSlice('admissionregistration.OperationType', ops),
        "if '*' is present, must not specify other operations",
      ),
    );
  ops.forEach((op, i) => {
    if (!OPERATIONS.includes(op)) errs.push(notSupported(`${fld}.operations[${i}]`, op, OPERATIONS));
  });
  errs.push(...validateRule(rule, fld));
  return errs;
}
