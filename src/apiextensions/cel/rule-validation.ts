// x-kubernetes-validations evaluation (apiserver/schema/cel/validation.go): every rule runs
// with `self` bound to its node and, for transition rules, `oldSelf` to the correlated old value;
// a false result is reported as the apiserver reports it, `Invalid value: "<type>": <message>`.
import { isCelError } from '@bufbuild/cel';
import { LRUCache } from 'lru-cache';
import { fieldErrorMessage, type FieldError } from '../../api/status.js';
import { fieldErr, NIL_PATH } from '../../api/field-errors.js';
import { additionalSchema, itemSchema, type JSONSchemaProps, type ValidationRule } from '../schema-types.js';
import { isDeepStrictEqual } from 'node:util';
import { isObject } from '../../api/object.js';
import {
  celClock,
  celDeadline,
  compileProgram,
  COST_LIMIT_EXCEEDED,
  PER_CALL_LIMIT,
  RUNTIME_CEL_COST_BUDGET,
  type Program,
} from './runtime.js';
import { toCel } from './values.js';
import { oldListElement, type Old } from '../ratcheting.js';

/** Compiled programs by expression text, least recently used dropped first. */
const programs = new LRUCache<string, Program | Error>({ max: 10_000 });

/** Compiles (parses and plans) a CEL expression once; returns the parse error on failure. */
export function compileRule(expr: string): Program | Error {
  let p = programs.get(expr);
  if (!p) {
    try {
      p = compileProgram(expr);
    } catch (e) {
      p = e instanceof Error ? e : new Error(String(e));
    }
    programs.set(expr, p);
  }
  return p;
}

/** The runtime budget shared by every rule evaluated for one object (RuntimeCELCostBudget). */
interface Budget {
  remaining: number;
  /** kplex's time budget for the whole object (runtime.CEL_TIME_BUDGET_MS). */
  deadline: number;
  /** Set once a limit was hit: the apiserver runs no further rules. */
  stopped: boolean;
}

const OUT_OF_BUDGET =
  'validation failed due to running out of cost budget, no further validation rules will be run';

/** Whether an expression refers to oldSelf (a transition rule). */
export const usesOldSelf = (expr: string): boolean => /\boldSelf\b/.test(expr);

const ruleErrorString = (r: ValidationRule) => (r.message ? r.message.trim() : r.rule.trim());
const ruleMessageOrDefault = (r: ValidationRule) =>
  r.message ? r.message.trim() : `failed rule: ${r.rule.trim()}`;

/** cel-go's runtime error wording for the errors rules commonly hit. */
export function goCelError(message: string): string {
  return message
    .replace(/^field not found: (.*)$/, 'no such key: $1')
    .replace(/^int divide by zero$/, 'division by zero')
    .replace(/^unbound function: (.*)$/, 'no such overload: $1');
}

function fieldErrorForReason(
  fld: string,
  type: string,
  detail: string,
  reason: ValidationRule['reason'],
): FieldError {
  switch (reason) {
    case 'FieldValueForbidden':
      return fieldErr.forbidden(fld, detail);
    case 'FieldValueRequired':
      return fieldErr.required(fld, detail);
    case 'FieldValueDuplicate':
      return fieldErr.duplicate(fld, type);
    default:
      return fieldErr.invalid(fld, type, detail);
  }
}

/** `.spec['a.b'][0]` -> `spec.a.b[0]`: quoted keys become children, as validFieldPath builds them. */
function normalizeFieldPath(fp: string): string {
  return fp.replace(/\[['"]([^'"]*)['"]\]/g, (_m, k: string) => `.${k}`).replace(/^\./, '');
}

function evalRules(
  fld: string,
  s: JSONSchemaProps,
  obj: unknown,
  old: Old,
  errs: FieldError[],
  warnings: string[],
  budget: Budget,
): void {
  const rules = s['x-kubernetes-validations'];
  if (!rules?.length || budget.stopped) return;
  const type = s['x-kubernetes-int-or-string'] ? '' : (s.type ?? '');
  const self = toCel(obj, s);
  const oldSelf = old ? toCel(old.v, s) : undefined;
  const at = fld || NIL_PATH;
  for (const rule of rules) {
    if (!rule.rule) continue;
    const transition = usesOldSelf(rule.rule);
    if (transition && !old && !rule.optionalOldSelf) continue;
    // Compiling (once per rule text) is not evaluation: it does not draw on the time budget.
    const c0 = celClock();
    const prog = compileRule(rule.rule);
    budget.deadline += celClock() - c0;
    if (prog instanceof Error) {
      errs.push(fieldErr.invalid(at, type, `rule compile error: ${prog.message}`));
      continue;
    }
    const bindings: Record<string, unknown> = { self };
    if (transition) bindings.oldSelf = oldSelf ?? null;
    const run = prog.eval(
      bindings,
      PER_CALL_LIMIT,
      budget.deadline,
      RUNTIME_CEL_COST_BUDGET - budget.remaining,
    );
    if (run.cost > budget.remaining || run.outOfTime) {
      errs.push(fieldErr.invalid(at, type, OUT_OF_BUDGET));
      budget.stopped = true;
      return;
    }
    budget.remaining -= run.cost;
    const result = run.value;
    if (run.exceeded) {
      errs.push(
        fieldErr.invalid(
          at,
          type,
          `'${COST_LIMIT_EXCEEDED}': no further validation rules will be run due to call cost exceeds limit for rule: ${ruleErrorString(rule)}`,
        ),
      );
      budget.stopped = true;
      return;
    }
    if (isCelError(result)) {
      errs.push(
        fieldErr.invalid(at, type, `${goCelError(result.message)} evaluating rule: ${ruleErrorString(rule)}`),
      );
      continue;
    }
    if (result === true) continue;
    let target = at;
    if (rule.fieldPath) {
      const n = normalizeFieldPath(rule.fieldPath);
      target = fld ? `${fld}.${n}` : n;
    }
    let message = ruleMessageOrDefault(rule);
    if (rule.messageExpression) {
      const mp = compileRule(rule.messageExpression);
      if (!(mp instanceof Error)) {
        const mr = mp.eval(
          bindings,
          Math.min(PER_CALL_LIMIT, budget.remaining),
          budget.deadline,
          RUNTIME_CEL_COST_BUDGET - budget.remaining,
        );
        if (mr.cost > budget.remaining || mr.exceeded || mr.outOfTime) {
          errs.push(
            fieldErr.invalid(
              at,
              type,
              `messageExpression evaluation failed due to running out of cost budget, no further validation rules will be run`,
            ),
          );
          budget.stopped = true;
          return;
        }
        budget.remaining -= mr.cost;
        const m = mr.value;
        if (typeof m === 'string' && m.trim() !== '' && !m.includes('\n')) message = m;
      }
    }
    const e = fieldErrorForReason(target, type, message, rule.reason);
    // Ratcheting: a non-transition rule failing on an unchanged value only warns.
    if (!transition && old && isDeepStrictEqual(old.v, obj)) warnings.push(fieldErrorMessage(e));
    else errs.push(e);
  }
}

function walk(
  fld: string,
  s: JSONSchemaProps | undefined,
  obj: unknown,
  old: Old,
  errs: FieldError[],
  warnings: string[],
  budget: Budget,
): void {
  if (!s || obj === null || obj === undefined || budget.stopped) return;
  evalRules(fld, s, obj, old, errs, warnings, budget);
  for (const sub of s.allOf ?? []) evalRules(fld, sub, obj, old, errs, warnings, budget);
  if (isObject(obj)) {
    const oldMap = old && isObject(old.v) ? old.v : undefined;
    const addl = additionalSchema(s);
    for (const [k, v] of Object.entries(obj)) {
      const prop = s.properties?.[k];
      const o: Old = oldMap && k in oldMap ? { v: oldMap[k] } : undefined;
      if (prop) walk(fld ? `${fld}.${k}` : k, prop, v, o, errs, warnings, budget);
      else if (addl) walk(`${fld}[${k}]`, addl, v, o, errs, warnings, budget);
    }
  } else if (Array.isArray(obj)) {
    const items = itemSchema(s);
    obj.forEach((v, i) => walk(`${fld}[${i}]`, items, v, oldListElement(old, s, v), errs, warnings, budget));
  }
}

/**
 * Runs every CEL rule of the schema against `obj` (and `old` on update). Failures of
 * non-transition rules on values unchanged since `old` are appended to `warnings` instead.
 */
export function validateCelRules(
  schema: JSONSchemaProps | undefined,
  obj: unknown,
  old?: unknown,
  fld = '',
  warnings: string[] = [],
): FieldError[] {
  const errs: FieldError[] = [];
  const budget: Budget = { remaining: RUNTIME_CEL_COST_BUDGET, deadline: celDeadline(), stopped: false };
  walk(fld, schema, obj, old === undefined ? undefined : { v: old }, errs, warnings, budget);
  return errs;
}

/** True when a schema (or any nested schema) declares x-kubernetes-validations. */
export function hasCelRules(s: JSONSchemaProps | undefined): boolean {
  if (!s) return false;
  if (s['x-kubernetes-validations']?.length) return true;
  return (
    Object.values(s.properties ?? {}).some(hasCelRules) ||
    hasCelRules(additionalSchema(s)) ||
    hasCelRules(itemSchema(s)) ||
    (s.allOf ?? []).some(hasCelRules)
  );
}
