// fieldValidation for unknown fields found by pruning: Strict fails the request with the
// decoder's strict error (400 BadRequest), Warn returns the same texts as warnings.
import { badRequest, type StatusError } from '../api/status.js';

const unknownField = (p: string) => `unknown field "${p.replace(/^\./, '')}"`;

/** `strict decoding error: unknown field "spec.foo", unknown field "spec.bar"` as a 400. */
export function strictDecodingError(paths: string[]): StatusError {
  return badRequest(`strict decoding error: ${paths.map(unknownField).join(', ')}`);
}

/** The warnings the apiserver returns for fieldValidation=Warn (one per unknown field). */
export const unknownFieldWarnings = (paths: string[]): string[] => paths.map(unknownField);
