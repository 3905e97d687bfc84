// Constructors for the apiserver's field.Error kinds (k8s.io/apimachinery/pkg/util/validation/field),
// so validators read like their Go counterparts.
import type { FieldError } from '../api/status.js';

export const required = (field: string, detail = ''): FieldError => ({
  type: 'FieldValueRequired',
  field,
  detail,
});
export const invalidValue = (field: string, value: unknown, detail: string): FieldError => ({
  type: 'FieldValueInvalid',
  field,
  value,
  detail,
});
export const duplicate = (field: string, value: unknown): FieldError => ({
  type: 'FieldValueDuplicate',
  field,
  value,
});
export const tooMany = (field: string, actual: number, max: number): FieldError => ({
  type: 'FieldValueTooMany',
  field,
  detail: `must have at most ${max} items`,
  value: actual,
  omitValue: true,
});

/** field.NotSupported: Go lists the supported values quoted and sorted. */
export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldError {
  const list = [...supported]
    .sort()
    .map((s) => JSON.stringify(s))
    .join(', ');
  return { type: 'FieldValueNotSupported', field, value, detail: `supported values: ${list}` };
}

export const asArray = <T = unknown>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
