// Kubernetes `Status` errors with the codes, reasons, details and message shapes of
// k8s.io/apimachinery/pkg/api/errors, so clients (kubectl, client-go) react as they do to the apiserver.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** A group/resource pair as the apiserver prints it: `resource.group`, or `resource` for core. */
export interface GroupResource {
  group: string;
  resource: string;
}

export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

export class StatusError extends Error {
  constructor(readonly status: Status) {
    super(status.message ?? status.reason ?? 'error');
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): string | undefined {
    return this.status.reason;
  }
}

export function isStatusError(err: unknown): err is StatusError {
  return err instanceof StatusError;
}

/** Any failure Status; the named constructors below cover the apiserver's common ones. */
export function statusFailure(
  code: number,
  reason: string,
  message: string,
  details?: StatusDetails,
): StatusError {
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: reason || undefined,
    details,
    code,
  });
}

export function successStatus(details?: StatusDetails): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}

export const notFound = (gr: GroupResource, name: string): StatusError =>
  statusFailure(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, {
    name,
    group: gr.group || undefined,
    kind: gr.resource,
  });

export const alreadyExists = (gr: GroupResource, name: string): StatusError =>
  statusFailure(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, {
    name,
    group: gr.group || undefined,
    kind: gr.resource,
  });

export const conflict = (gr: GroupResource, name: string, why: string): StatusError =>
  statusFailure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`,
    {
      name,
      group: gr.group || undefined,
      kind: gr.resource,
    },
  );

/** One field error, printed as field.ErrorList prints it (`spec.x: Invalid value: 3: must be ...`). */
export interface FieldError {
  type: FieldErrorType;
  field: string;
  value?: unknown;
  detail?: string;
  /** Omit the value from the message (as the apiserver does for omitted or sensitive values). */
  omitValue?: boolean;
}

export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid';

const typeText: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

/** Go's %#v-ish rendering used by field.Error for the value part. */
function renderValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** field.Error.ErrorBody(): the message without the field path. */
export function fieldErrorBody(e: FieldError): string {
  const withValue =
    !e.omitValue &&
    e.value !== undefined &&
    (e.type === 'FieldValueInvalid' ||
      e.type === 'FieldValueNotSupported' ||
      e.type === 'FieldValueDuplicate' ||
      e.type === 'FieldValueTypeInvalid' ||
      e.type === 'FieldValueNotFound');
  let body = typeText[e.type];
  if (withValue) body += `: ${renderValue(e.value)}`;
  if (e.detail) body += `: ${e.detail}`;
  return body;
}

/** field.Error.Error(): `path: body`. */
export function fieldErrorMessage(e: FieldError): string {
  return e.field ? `${e.field}: ${fieldErrorBody(e)}` : fieldErrorBody(e);
}

export interface GroupKind {
  group: string;
  kind: string;
}

export function invalid(gk: GroupKind, name: string, errors: FieldError[]): StatusError {
  const qualifiedKind = gk.group ? `${gk.kind}.${gk.group}` : gk.kind;
  const msgs = errors.map(fieldErrorMessage);
  const aggregate = msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
  return statusFailure(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${aggregate}`, {
    name,
    group: gk.group || undefined,
    kind: gk.kind,
    causes: errors.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
  });
}

/** The router's 404 for a path no resource serves (genericapiserver's NotFound handler). */
export const pageNotFound = (): StatusError =>
  statusFailure(404, 'NotFound', 'the server could not find the requested resource', {});

export const badRequest = (message: string): StatusError => statusFailure(400, 'BadRequest', message);

export const unauthorized = (message = 'Unauthorized'): StatusError =>
  statusFailure(401, 'Unauthorized', message);

export function forbidden(gr: GroupResource, name: string, reason: string): StatusError {
  const what = name ? `${qualifiedResource(gr)} "${name}"` : qualifiedResource(gr);
  return statusFailure(403, 'Forbidden', `${what} is forbidden: ${reason}`, {
    name: name || undefined,
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

export const methodNotSupported = (gr: GroupResource, action: string): StatusError =>
  statusFailure(
    405,
    'MethodNotAllowed',
    `${action} is not supported on resources of kind "${qualifiedResource(gr)}"`,
    {
      group: gr.group || undefined,
      kind: gr.resource,
    },
  );

export const notAcceptable = (accepted: string[]): StatusError =>
  statusFailure(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`);

export const gone = (message: string): StatusError => statusFailure(410, 'Expired', message);

export const resourceExpired = (requested: string, oldest: string): StatusError =>
  gone(`too old resource version: ${requested} (${oldest})`);

export const requestEntityTooLarge = (limit: number): StatusError =>
  statusFailure(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);

export const unsupportedMediaType = (contentType: string, accepted: string[]): StatusError =>
  statusFailure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    { causes: [{ reason: 'UnexpectedServerResponse', message: contentType }] },
  );

export const tooManyRequests = (message: string, retryAfterSeconds: number): StatusError =>
  statusFailure(429, 'TooManyRequests', message, { retryAfterSeconds });

export const internalError = (err: unknown): StatusError => {
  const message = err instanceof Error ? err.message : String(err);
  return statusFailure(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
};

export const serviceUnavailable = (message: string): StatusError =>
  statusFailure(503, 'ServiceUnavailable', message);

/** Wraps anything thrown by a handler into a Status error, hiding internal details behind 500. */
export function toStatusError(err: unknown): StatusError {
  return isStatusError(err) ? err : internalError(err);
}
