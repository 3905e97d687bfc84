// The apiserver's field.Error constructors for admission's validators, built by the one field-error
// builder (api/field-errors.ts) so values print as Go prints them.
import { fieldErr } from '../api/field-errors.js';
import type { FieldError } from '../api/status.js';

export const required = (field: string, detail = ''): FieldError => fieldErr.required(field, detail);
export const invalidValue = (field: string, value: unknown, detail: string): FieldError =>
  fieldErr.invalid(field, value, detail);
export const duplicate = (field: string, value: unknown): FieldError => fieldErr.duplicate(field, value);
export const tooMany = (field: string, actual: number, max: number): FieldError =>
  fieldErr.tooMany(field, actual, max);

/** field.NotSupported over a set: callers pass sets.List(), sorted. */
export const notSupported = (field: string, value: unknown, supported: readonly string[]): FieldError =>
  fieldErr.notSupported(field, value, [...supported].sort());

export const asArray = <T = unknown>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
