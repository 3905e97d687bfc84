// Compile checks of admission CEL expressions (matchConditions, validations, auditAnnotations...),
// as the apiserver's validation does before storing them: a parse failure is reported as
// `Invalid value: "<expr>": compilation failed: ERROR: <input>:line:col: ...`.
// Only parsing and planning are checked (no type-checking against the admission environment),
// and, as for the apiserver, no estimated cost: the admission variables are dynamically typed,
// so cost is bounded at runtime (policy/evaluate.ts).
import type { FieldError } from '../api/status.js';
import { compileRule } from '../apiextensions/cel/rule-validation.js';
import { invalidValue } from './field-errors.js';

/** The compile error of an expression (`compilation failed: ...`), or undefined when it compiles. */
export function celCompileError(expression: string): string | undefined {
  const p = compileRule(expression);
  return p instanceof Error ? `compilation failed: ERROR: ${p.message}` : undefined;
}

export function validateCelExpression(expression: string, field: string): FieldError[] {
  const err = celCompileError(expression);
  return err ? [invalidValue(field, expression, err)] : [];
}
