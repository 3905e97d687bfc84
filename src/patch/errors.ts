// Status errors the apiserver's patch and field-manager code paths produce, beyond the common
// constructors of src/api/status.ts.
import { StatusError, type StatusCause } from '../api/status.js';

/**
 * errors.NewGenericServerResponse(422, "", {}, "", msg, 0, false): the apiserver hides the
 * json-patch library's message behind this generic text (what `kubectl patch --type json` prints).
 */
export function genericUnprocessable(): StatusError {
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'the server rejected our request due to an error in our request',
    reason: 'Invalid',
    details: {},
    code: 422,
  });
}

/** A plain Go error returned by a handler: ErrorToAPIStatus makes it 500 with reason Unknown (""). */
export function unknownServerError(message: string): StatusError {
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    code: 500,
  });
}

/** errors.NewApplyConflict. */
export function applyConflict(causes: StatusCause[], message: string): StatusError {
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'Conflict',
    details: { causes },
    code: 409,
  });
}
