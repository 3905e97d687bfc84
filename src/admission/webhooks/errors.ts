// The apiserver's Status for each way a webhook call ends badly (webhook/errors/statuserror.go,
// util/webhook/error.go): a denial, a failure to call under failurePolicy Fail, a dry run a
// webhook with side effects cannot take.
import { badRequest, internalError, StatusError, type Status } from '../../api/status.js';

/**
 * ToStatusErr of v1.32 (the host's): the webhook's own Status with the webhook named in its
 * message, a code of at least 400, Failure; reason and details as the webhook gave them.
 */
export function denial(webhook: string, result?: Record<string, unknown>): StatusError {
  const r = result ?? {};
  const code = typeof r['code'] === 'number' && r['code'] >= 400 ? r['code'] : 400;
  const deniedBy = `admission webhook "${webhook}" denied the request`;
  const message = typeof r['message'] === 'string' ? r['message'] : '';
  const reason = typeof r['reason'] === 'string' ? r['reason'] : '';
  const details = typeof r['details'] === 'object' && r['details'] !== null ? r['details'] : undefined;
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: message
      ? `${deniedBy}: ${message}`
      : reason
        ? `${deniedBy}: ${reason}`
        : `${deniedBy} without explanation`,
    reason: reason || undefined,
    details: details as Status['details'],
    code,
  });
}

/** ErrCallingWebhook under failurePolicy Fail: NewInternalError. */
export const callingFailed = (webhook: string, why: string): StatusError =>
  internalError(new Error(`failed calling webhook "${webhook}": ${why}`));

export const dryRunUnsupported = (webhook: string): StatusError =>
  badRequest(`admission webhook "${webhook}" does not support dry run`);
