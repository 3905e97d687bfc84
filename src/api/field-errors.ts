// Field errors rendered exactly as k8s.io/apimachinery's field.Error renders them. The shared
// renderer in api/status.ts prints values as JSON; the apiserver prints Go values (%q, %v, %#v),
// so every error built here carries its value pre-rendered in `detail` with `omitValue` set.
import type { FieldError, FieldErrorType } from './status.js';

/** Go's %#v of a value decoded from JSON into interface{} (maps sorted by key, as fmt does). */
export function goSharpV(v: unknown): string {
  if (v === null || v === undefined) return 'interface {}(nil)';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'bigint') return goNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map(goSharpV).join(', ')}}`;
  const o = v as Record<string, unknown>;
  const body = Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${goSharpV(o[k])}`)
    .join(', ');
  return `map[string]interface {}{${body}}`;
}

/** Go's %v of an int64 or float64 (floats print like strconv 'g' with shortest repr). */
export function goNumber(n: number | bigint): string {
  if (typeof n === 'bigint') return n.toString();
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const s = String(n);
  // Go prints 1e+21 where JS prints 1e21.
  return s.replace(/e([0-9])/, 'e+$1');
}

/** A bad value with its Go type: printed as %#v prints a typed slice (`[]string{"a", "b"}`). */
class GoSlice {
  constructor(
    readonly type: string,
    readonly items: readonly string[],
  ) {}
}

/** A slice of Go type `type` (`string`, `admissionregistration.OperationType`) as a bad value. */
export const goSlice = (type: string, items: readonly string[]): GoSlice => new GoSlice(type, items);

/** The value part of field.Error.ErrorBody(). */
function renderBadValue(v: unknown): string {
  if (v instanceof GoSlice) return `[]${v.type}{${v.items.map((i) => JSON.stringify(i)).join(', ')}}`;
  if (v === null || v === undefined) return '"null"';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean')
    return typeof v === 'boolean' ? String(v) : goNumber(v);
  return goSharpV(v);
}

const OMIT = Symbol('omit');

function build(type: FieldErrorType, field: string, value: unknown, detail: string): FieldError {
  const parts: string[] = [];
  const showsValue = !(
    type === 'FieldValueRequired' ||
    type === 'FieldValueForbidden' ||
    type === 'FieldValueTooLong' ||
    type === 'InternalError'
  );
  if (showsValue && value !== OMIT) parts.push(renderBadValue(value));
  if (detail) parts.push(detail);
  return {
    type,
    field,
    value: value === OMIT ? undefined : value instanceof GoSlice ? [...value.items] : value,
    detail: parts.join(': '),
    omitValue: true,
  };
}

/** A field path as field.Path.String() prints it; a nil path prints `<nil>`. */
export const NIL_PATH = '<nil>';

export const fieldErr = {
  invalid: (field: string, value: unknown, detail: string) =>
    build('FieldValueInvalid', field, value, detail),
  typeInvalid: (field: string, value: unknown, detail: string) =>
    build('FieldValueTypeInvalid', field, value, detail),
  required: (field: string, detail = '') => build('FieldValueRequired', field, OMIT, detail),
  forbidden: (field: string, detail: string) => build('FieldValueForbidden', field, OMIT, detail),
  duplicate: (field: string, value: unknown) => build('FieldValueDuplicate', field, value, ''),
  notFound: (field: string, value: unknown) => build('FieldValueNotFound', field, value, ''),
  notSupported: (field: string, value: unknown, valid: string[]) =>
    build(
      'FieldValueNotSupported',
      field,
      value,
      valid.length ? 'supported values: ' + valid.map((s) => JSON.stringify(s)).join(', ') : '',
    ),
  tooLong: (field: string, max: number) =>
    build(
      'FieldValueTooLong',
      field,
      OMIT,
      max >= 0 ? `may not be more than ${max} bytes` : 'value is too long',
    ),
  tooMany: (field: string, actual: number, max: number) =>
    build(
      'FieldValueTooMany',
      field,
      actual >= 0 ? actual : OMIT,
      max >= 0 ? `must have at most ${max} items` : 'has too many items',
    ),
  internal: (field: string, detail: string) => build('InternalError', field, OMIT, detail),
};
