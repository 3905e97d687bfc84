// One policy, one binding, one param against one write (validating/validator.go): match
// conditions, then variables, then every validation; failures become decisions with the
// apiserver's messages. Expressions are CEL, compiled once per text (rule-validation's cache).
import { type CelValue, isCelError } from '@bufbuild/cel';
import type { KubeObject } from '../../api/object.js';
import { compileRule, goCelError } from '../../apiextensions/cel/rule-validation.js';
import {
  CEL_TIME_BUDGET_MS,
  celClock,
  PER_CALL_LIMIT,
  RUNTIME_CEL_COST_BUDGET,
} from '../../apiextensions/cel/runtime.js';
import { toCel } from '../../apiextensions/cel/values.js';
import type { AdmissionAttributes } from '../attributes.js';
import { admissionRequest } from './attributes.js';
import type { ValidatingAdmissionPolicy } from './types.js';

export interface Decision {
  action: 'deny' | 'admit';
  message: string;
  /** StatusReason of a denial (Invalid unless the validation names one). */
  reason: string;
}

const OUT_OF_BUDGET =
  'validation failed due to running out of cost budget, no further validation rules will be run';

/** Thrown when the evaluation of one policy used up RuntimeCELCostBudget. */
class OutOfBudget extends Error {}

/**
 * Evaluates an expression against the policy's remaining runtime budget (each call also capped
 * at PerCallLimit); a CEL error becomes the apiserver's error text.
 */
function run(
  expr: string,
  bindings: Record<string, unknown>,
  budget: { remaining: number; deadline: number; spent: number },
): { value?: CelValue; error?: string } {
  // Compiling (once per expression text) does not draw on the time budget.
  const c0 = celClock();
  const prog = compileRule(expr);
  budget.deadline += celClock() - c0;
  if (prog instanceof Error) return { error: `compilation failed: ${prog.message}` };
  const r = prog.eval(bindings, PER_CALL_LIMIT, budget.deadline, budget.spent);
  if (r.cost > budget.remaining || r.outOfTime) throw new OutOfBudget(OUT_OF_BUDGET);
  budget.remaining -= r.cost;
  budget.spent += r.cost;
  const v = r.value;
  if (isCelError(v)) return { error: `expression '${expr}' resulted in error: ${goCelError(v.message)}` };
  return { value: v };
}

/** The namespace as `namespaceObject` shows it (CreateNamespaceObject: no managedFields). */
function namespaceView(ns: KubeObject | undefined): unknown {
  if (!ns) return null;
  const m = ns.metadata ?? {};
  const { managedFields: _mf, ...meta } = m;
  return toCel({ metadata: meta, spec: ns['spec'] ?? {}, status: ns['status'] ?? {} }, undefined);
}

export interface EvaluationInput {
  policy: ValidatingAdmissionPolicy;
  attrs: AdmissionAttributes;
  param: KubeObject | null;
  namespace: KubeObject | undefined;
}

// kplex's time budget is per request: every policy and binding evaluated for it draws from it
// (time spent awaiting parameters between evaluations is not counted).
const celUsed = new WeakMap<AdmissionAttributes, { time: number; cost: number }>();

/** The decisions of one evaluation: empty when a match condition excludes the request. */
export function evaluatePolicy(input: EvaluationInput): Decision[] {
  const start = celClock();
  const used = celUsed.get(input.attrs) ?? { time: 0, cost: 0 };
  const budget = {
    remaining: RUNTIME_CEL_COST_BUDGET,
    deadline: start + CEL_TIME_BUDGET_MS - used.time,
    spent: used.cost,
  };
  try {
    return evaluate(input, (expr, bindings) => run(expr, bindings, budget));
  } catch (e) {
    if (!(e instanceof OutOfBudget)) throw e;
    return [onError(input.policy, e.message)];
  } finally {
    celUsed.set(input.attrs, { time: used.time + celClock() - start, cost: budget.spent });
  }
}

function onError(policy: ValidatingAdmissionPolicy, message: string): Decision {
  return { action: policy.spec?.failurePolicy === 'Ignore' ? 'admit' : 'deny', message, reason: 'Invalid' };
}

type Run = (expr: string, bindings: Record<string, unknown>) => { value?: CelValue; error?: string };

function evaluate({ policy, attrs, param, namespace }: EvaluationInput, run: Run): Decision[] {
  const spec = policy.spec ?? {};
  const variables = new Map<string, unknown>();
  const bindings: Record<string, unknown> = {
    object: toCel(attrs.object, undefined),
    oldObject: toCel(attrs.oldObject, undefined),
    request: toCel(admissionRequest(attrs), undefined),
    params: toCel(param, undefined),
    namespaceObject: namespaceView(namespace),
    variables,
  };

  // matchConditions: any false excludes the request; otherwise the first error decides.
  const conditionErrors: string[] = [];
  for (const c of spec.matchConditions ?? []) {
    const r = run(c.expression, bindings);
    if (r.error) conditionErrors.push(r.error);
    else if (r.value === false) return [];
  }
  if (conditionErrors.length) return [onError(policy, conditionErrors.join(', '))];

  // Variables in order, each seeing the ones before; a failing one fails whoever reads it.
  const failedVariables = new Map<string, string>();
  for (const v of spec.variables ?? []) {
    const r = run(v.expression, bindings);
    if (r.error) failedVariables.set(v.name, r.error);
    else variables.set(v.name, r.value);
  }
  const explain = (error: string): string => {
    const missing = /resulted in error: no such key: (\S+)$/.exec(error)?.[1];
    return missing && failedVariables.has(missing) ? failedVariables.get(missing)! : error;
  };

  const decisions: Decision[] = [];
  for (const v of spec.validations ?? []) {
    const r = run(v.expression, bindings);
    if (r.error) {
      decisions.push(onError(policy, explain(r.error)));
      continue;
    }
    if (r.value === true) {
      decisions.push({ action: 'admit', message: '', reason: '' });
      continue;
    }
    let message = '';
    if (v.messageExpression) {
      const m = run(v.messageExpression, bindings);
      if (typeof m.value === 'string') message = m.value.trim();
      if (message.length > 5 * 1024 || message.includes('\n')) message = '';
    }
    if (!message && v.message) message = v.message.trim();
    if (!message) message = `failed expression: ${v.expression.trim()}`;
    decisions.push({ action: 'deny', message, reason: v.reason || 'Invalid' });
  }
  // auditAnnotations publish nothing here (kplex writes no audit log), but their errors deny as
  // they do on the apiserver under failurePolicy Fail.
  for (const a of spec.auditAnnotations ?? []) {
    const r = run(a.valueExpression, bindings);
    if (r.error) decisions.push(onError(policy, explain(r.error)));
  }
  return decisions;
}
