// Status errors the apiserver's patch and field-manager code paths produce, beyond the common
// constructors of src/api/status.ts.
import { type StatusCause, type StatusError, statusFailure } from '../api/status.js';

/**
 * errors.NewGenericServerResponse(422, "", {}, "", msg, 0, false): the apiserver hides the
 * json-patch library's message behind this generic text (what `kubectl patch --type json` prints).
 */
export function genericUnprocessable(): StatusError {
  return statusFailure(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
}

/** A plain Go error returned by a handler: ErrorToAPIStatus makes it 500 with reason Unknown (""). */
export function unknownServerError(message: string): StatusError {
  return statusFailure(500, '', message);
}

/** errors.NewApplyConflict. */
export function applyConflict(causes: StatusCause[], message: string): StatusError {
  return statusFailure(409, 'Conflict', message, { causes });
}
