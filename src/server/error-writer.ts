// The one error writer: every error a request throws, at any stage, becomes a Kubernetes Status.
// A StatusError is written as it is; anything else is kplex's own failure: 500 InternalError, and
// for host-backed requests without its text (a failed host call names host namespaces and
// addresses a tenant must never see). Server errors are logged with the request's logger.
import type { ServerResponse } from 'node:http';
import { writeError } from '../api/respond.js';
import { internalError, isStatusError } from '../api/status.js';
import type { Logger } from '../log/logger.js';

export function writeRequestError(
  res: ServerResponse,
  err: unknown,
  log: Logger,
  opts: { hostBacked?: boolean } = {},
): void {
  const e =
    opts.hostBacked && !isStatusError(err) ? internalError(new Error('the host request failed')) : err;
  const status = writeError(res, e);
  if (status.code >= 500) log.error({ err }, 'request failed');
}
