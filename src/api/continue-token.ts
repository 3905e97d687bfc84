// The apiserver's list continue token (k8s.io/apiserver/pkg/storage/continue.go): base64url
// (no padding) of {"v":"meta.k8s.io/v1","rv":<int>,"start":"<key after the last item>"}.
import { badRequest } from './status.js';

export interface ContinueToken {
  rv: number;
  /** The key to continue from (exclusive): `namespace/name` or `name`. */
  start: string;
}

export function encodeContinue(t: ContinueToken): string {
  const json = JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: t.start + '\u0000' });
  return Buffer.from(json).toString('base64url');
}

/** Decodes a token; a malformed token is a 400 BadRequest with the apiserver's messages. */
export function decodeContinue(token: string): ContinueToken {
  const invalid = (detail: string): never => {
    throw badRequest(`invalid continue token: continue key is not valid: ${detail}`);
  };
  if (!/^[A-Za-z0-9_-]*$/.test(token)) invalid('illegal base64 data at input byte 0');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (e) {
    return invalid(e instanceof Error ? e.message : String(e));
  }
  const c = (parsed ?? {}) as { v?: unknown; rv?: unknown; start?: unknown };
  if (c.v !== 'meta.k8s.io/v1') {
    throw badRequest(
      `invalid continue token: continue key is not valid: server does not recognize this encoded version ${String(c.v ?? '')}`,
    );
  }
  if (typeof c.rv !== 'number' || !Number.isInteger(c.rv) || c.rv === 0) {
    throw badRequest(
      'invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
  if (typeof c.start !== 'string' || c.start.length === 0) {
    throw badRequest(
      'invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)',
    );
  }
  const start = c.start.endsWith('\u0000') ? c.start.slice(0, -1) : c.start;
  // Refuse traversal outside the listed prefix, as path.Clean does in the apiserver.
  if (
    start.split('/').some((s) => s === '.' || s === '..') ||
    start.startsWith('/') ||
    start.includes('//')
  ) {
    invalid(c.start);
  }
  return { rv: c.rv, start };
}
