// Legacy ServiceAccount token Secrets (type kubernetes.io/service-account-token) of a tenant live in
// its host namespace, where the host's token controller fills in a HOST token and the HOST
// namespace. Neither reaches the tenant: on the way out `namespace` names the virtual namespace
// (namespace-fields.ts, both ways) and a token kplex did not sign is removed; kplex then
// replaces it in the host Secret with a kplex-signed token bound to that Secret (the host's legacy validator stops accepting its own
// token once the Secret no longer holds it, and the host controller never regenerates a token
// that is present). Until then the Secret reads as one whose token is not filled in yet.
import { isObject } from '../api/object.js';
import { decodeJwt } from 'jose';
import { TOKEN_ISSUER } from '../api/token-issuer.js';
import { SA_TOKEN_SECRET_TYPE } from './namespace-fields.js';
import type { NamespaceMap } from './namespace-translator.js';

export { SA_TOKEN_SECRET_TYPE };
/** kplex re-signs a Secret's token when it has less than this left. */
const RENEW_BEFORE_MS = 30 * 86400_000;

/** Asks for the Secret's token to be replaced by a kplex-signed one (deduplicated by the caller). */
export type TokenSecretFixer = (tenant: string, hostNamespace: string, name: string) => void;

let fixer: TokenSecretFixer | undefined;

/** Set once by `kplex serve`: the responses of every tenant pass through one process. */
export function setTokenSecretFixer(f: TokenSecretFixer | undefined): void {
  fixer = f;
}

type Obj = Record<string, unknown>;

/** True when `token` is a kplex-signed token good for at least RENEW_BEFORE_MS more. */
export function isCurrentKplexToken(token: string, now = Date.now()): boolean {
  try {
    const c = decodeJwt(token);
    return c.iss === TOKEN_ISSUER && typeof c.exp === 'number' && c.exp * 1000 - now > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}

/**
 * Rewrites a host Secret (called BEFORE its metadata.namespace is made virtual) for the tenant:
 * a token kplex did not sign is dropped (and replaced in the host Secret for the next read).
 */
export function tokenSecretToVirtual(obj: Obj, map: NamespaceMap): void {
  if (obj['type'] !== SA_TOKEN_SECRET_TYPE || !isObject(obj['data'])) return;
  const data = obj['data'];
  const meta = isObject(obj['metadata']) ? obj['metadata'] : {};
  const hostNs = typeof meta['namespace'] === 'string' ? meta['namespace'] : '';
  const ns = map.virtualOf(hostNs);
  const raw = typeof data['token'] === 'string' ? Buffer.from(data['token'], 'base64').toString('utf8') : '';
  if (raw && isCurrentKplexToken(raw)) return;
  let iss: unknown;
  try {
    iss = raw ? decodeJwt(raw).iss : undefined;
  } catch {
    return; // not a JWT: a value the tenant wrote itself
  }
  if (raw && iss !== TOKEN_ISSUER) delete data['token']; // the host's: never shown
  if (ns && typeof meta['name'] === 'string') fixer?.(map.tenant, hostNs, meta['name']);
}
