// Compile checks of admission CEL expressions (matchConditions, validations, auditAnnotations...),
// as the apiserver's validation does before storing them: a parse failure is reported as
// `Invalid value: "<expr>": compilation failed: ERROR: <input>:line:col: ...`.
// Only parsing and planning are checked (no type-checking against the admission environment).
import { celEnv, parse, plan } from '@bufbuild/cel';
import type { FieldError } from '../api/status.js';
import { kubernetesFunctions } from '../apiextensions/cel/library.js';
import { invalidValue } from './field-errors.js';

const env = celEnv({ funcs: kubernetesFunctions });
const cache = new Map<string, string | undefined>();

/** The compile error of an expression (`compilation failed: ...`), or undefined when it compiles. */
export function celCompileError(expression: string): string | undefined {
  if (!cache.has(expression)) {
    let err: string | undefined;
    try {
      plan(env, parse(expression));
    } catch (e) {
      err = `compilation failed: ERROR: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(expression, err);
  }
  return cache.get(expression);
}

export function validateCelExpression(expression: string, field: string): FieldError[] {
  const err = celCompileError(expression);
  return err ? [invalidValue(field, expression, err)] : [];
}
