// matchConditions of a webhook (webhook/matchconditions/matcher.go): CEL over object, oldObject
// and request; any false skips the webhook; errors (with no false) fail the request under
// failurePolicy Fail (403 naming the errors) and skip the webhook under Ignore. Budgets as the
// policies' (RuntimeCELCostBudgetMatchConditions and kplex's time bound).
import { isCelError } from '@bufbuild/cel';
import type { AdmissionAttributes } from '../attributes.js';
import { admissionRequest } from '../policy/attributes.js';
import { compileRule, goCelError } from '../../apiextensions/cel/rule-validation.js';
import { celDeadline, PER_CALL_LIMIT, RUNTIME_CEL_COST_BUDGET } from '../../apiextensions/cel/runtime.js';
import { toCel } from '../../apiextensions/cel/values.js';
import { forbidden } from '../../api/status.js';
import type { Webhook } from './types.js';

/** Whether the conditions admit the call; throws the apiserver's Forbidden when they fail closed. */
export function conditionsMatch(w: Webhook, a: AdmissionAttributes): boolean {
  const conditions = w.matchConditions ?? [];
  if (!conditions.length) return true;
  const bindings = {
    object: toCel(a.object, undefined),
    oldObject: toCel(a.oldObject, undefined),
    request: toCel(admissionRequest(a), undefined),
  };
  const deadline = celDeadline();
  let remaining = RUNTIME_CEL_COST_BUDGET;
  let spent = 0;
  const errors: string[] = [];
  for (const c of conditions) {
    const expr = c.expression ?? '';
    const prog = compileRule(expr);
    if (prog instanceof Error) {
      errors.push(`compilation failed: ${prog.message}`);
      continue;
    }
    const r = prog.eval(bindings, Math.min(PER_CALL_LIMIT, remaining), deadline, spent);
    remaining -= r.cost;
    spent += r.cost;
    if (r.outOfTime || remaining < 0) {
      errors.push('operation cancelled: actual cost limit exceeded');
      break;
    }
    if (isCelError(r.value))
      errors.push(`expression '${expr}' resulted in error: ${goCelError(r.value.message)}`);
    else if (r.value === false) return false;
  }
  if (!errors.length) return true;
  if (w.failurePolicy === 'Ignore') return false;
  throw forbidden(
    { group: a.resource.group, resource: a.resource.resource },
    a.name,
    errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`,
  );
}
