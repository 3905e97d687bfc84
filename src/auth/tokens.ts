// Tokens kplex signs: JWTs for tenant users (`kplex kubeconfig`) and for a tenant's
// ServiceAccounts (TokenRequest, legacy token Secrets). The audience binds a token to ONE tenant
// name and the tenant-uid claim to ONE Tenant object, so a token of tenant A is refused on tenant
// B's endpoint and a token of a deleted tenant by a new tenant of the same name. Every token
// expires.
import {
  SignJWT,
  jwtVerify,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  type JWTPayload,
} from 'jose';
import type { UserInfo } from '../authorizer/user.js';
import { TOKEN_ALG } from './key-store.js';
import type { SigningKey } from './signing-keys.js';

import { TOKEN_ISSUER } from '../api/token-issuer.js';

export { TOKEN_ISSUER };
const GROUPS_CLAIM = 'kplex.io/groups';
const TENANT_CLAIM = 'kplex.io/tenant';
const TENANT_UID_CLAIM = 'kplex.io/tenant-uid';
/** The ServiceAccount claims, as the apiserver's bound tokens carry them. */
const SA_CLAIM = 'kubernetes.io';
const SA_PREFIX = 'system:serviceaccount:';

/** Lifetime of a user token when none is asked for. */
export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 3600;

export const tenantAudience = (tenant: string): string => `kplex:tenant:${tenant}`;

export interface TenantRef {
  tenant: string;
  tenantUid: string;
}

export interface TokenRequest extends TenantRef {
  user: string;
  groups: string[];
  /** Defaults to DEFAULT_TOKEN_TTL_SECONDS; every token expires. */
  ttlSeconds?: number;
}

function signed(
  key: SigningKey,
  claims: JWTPayload,
  ref: TenantRef,
  sub: string,
  aud: string[],
  iat: number,
  exp: number,
): Promise<string> {
  return new SignJWT({ ...claims, [TENANT_CLAIM]: ref.tenant, [TENANT_UID_CLAIM]: ref.tenantUid })
    .setProtectedHeader({ alg: TOKEN_ALG, kid: key.kid, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setSubject(sub)
    .setAudience(aud)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .sign(key.privateKey);
}

export async function mintToken(key: SigningKey, req: TokenRequest): Promise<string> {
  const ttl = req.ttlSeconds && req.ttlSeconds > 0 ? req.ttlSeconds : DEFAULT_TOKEN_TTL_SECONDS;
  const now = Math.floor(Date.now() / 1000);
  return signed(
    key,
    { [GROUPS_CLAIM]: req.groups },
    req,
    req.user,
    [tenantAudience(req.tenant)],
    now,
    now + ttl,
  );
}

/** What a ServiceAccount token is bound to (TokenRequest's boundObjectRef, or a legacy Secret). */
export interface BoundObject {
  kind: 'Pod' | 'Secret' | 'Node';
  name: string;
  uid: string;
}

export interface ServiceAccountTokenRequest extends TenantRef {
  /** The VIRTUAL namespace of the ServiceAccount. */
  namespace: string;
  serviceAccount: { name: string; uid: string };
  /** Empty: the tenant's own audience. */
  audiences: string[];
  expirationSeconds: number;
  boundObject?: BoundObject;
}

export interface ServiceAccountClaims {
  namespace: string;
  serviceAccount: { name: string; uid: string };
  boundObject?: BoundObject;
}

/** A ServiceAccount token signed by kplex: useless on the host, accepted by kplex for the tenant. */
export async function mintServiceAccountToken(
  key: SigningKey,
  req: ServiceAccountTokenRequest,
): Promise<{ token: string; expires: Date }> {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + req.expirationSeconds;
  const k8s: Record<string, unknown> = {
    namespace: req.namespace,
    serviceaccount: { name: req.serviceAccount.name, uid: req.serviceAccount.uid },
  };
  if (req.boundObject)
    k8s[req.boundObject.kind.toLowerCase()] = { name: req.boundObject.name, uid: req.boundObject.uid };
  const aud = req.audiences.length ? req.audiences : [tenantAudience(req.tenant)];
  const token = await signed(
    key,
    { [SA_CLAIM]: k8s },
    req,
    `${SA_PREFIX}${req.namespace}:${req.serviceAccount.name}`,
    aud,
    now,
    exp,
  );
  return { token, expires: new Date(exp * 1000) };
}

/** True when the token claims to be kplex's (its issuer); host tokens go to TokenReview instead. */
export function isKplexToken(token: string): boolean {
  try {
    return decodeJwt(token).iss === TOKEN_ISSUER;
  } catch {
    return false;
  }
}

export function tokenKid(token: string): string | undefined {
  try {
    return decodeProtectedHeader(token).kid;
  } catch {
    return undefined;
  }
}

export interface VerifiedToken {
  user: UserInfo;
  /** Set for ServiceAccount tokens: the caller checks the account (and bound object) still exist. */
  serviceAccount?: ServiceAccountClaims;
  /** The token's `exp` (seconds since the epoch): a cached verdict never outlives it. */
  expiresAt: number;
}

/**
 * Verifies a kplex token for the tenant `ref` (name AND uid); undefined when it is not a valid,
 * unexpired kplex token of it.
 */
export async function verifyKplexToken(
  keys: SigningKey[],
  token: string,
  ref: TenantRef,
): Promise<VerifiedToken | undefined> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return undefined;
  }
  const key = keys.find((k) => k.kid === kid);
  if (!key) return undefined;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, {
      issuer: TOKEN_ISSUER,
      audience: tenantAudience(ref.tenant),
      algorithms: [TOKEN_ALG],
      requiredClaims: ['exp', 'sub'],
    }));
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) return undefined;
    throw err;
  }
  if (payload[TENANT_CLAIM] !== ref.tenant || payload[TENANT_UID_CLAIM] !== ref.tenantUid) return undefined;
  if (typeof payload.sub !== 'string' || !payload.sub) return undefined;
  const sa = serviceAccountClaims(payload);
  if (payload.sub.startsWith(SA_PREFIX) || sa) {
    // Only tokens kplex minted for a ServiceAccount name one (a user token cannot pose as one).
    if (!sa || payload.sub !== `${SA_PREFIX}${sa.namespace}:${sa.serviceAccount.name}`) return undefined;
    return {
      user: {
        username: payload.sub,
        uid: sa.serviceAccount.uid,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`, 'system:authenticated'],
      },
      serviceAccount: sa,
      expiresAt: payload.exp!,
    };
  }
  const groups = Array.isArray(payload[GROUPS_CLAIM])
    ? (payload[GROUPS_CLAIM] as unknown[]).filter((g): g is string => typeof g === 'string')
    : [];
  return {
    user: { username: payload.sub, groups: [...new Set([...groups, 'system:authenticated'])] },
    expiresAt: payload.exp!,
  };
}

/** Verifies a kplex user token (not a ServiceAccount's) for the tenant. */
export async function verifyToken(
  keys: SigningKey[],
  token: string,
  ref: TenantRef,
): Promise<UserInfo | undefined> {
  const v = await verifyKplexToken(keys, token, ref);
  return v && !v.serviceAccount ? v.user : undefined;
}

function serviceAccountClaims(payload: JWTPayload): ServiceAccountClaims | undefined {
  const k = payload[SA_CLAIM] as Record<string, unknown> | undefined;
  if (!k || typeof k !== 'object') return undefined;
  const sa = k.serviceaccount as { name?: unknown; uid?: unknown } | undefined;
  if (typeof k.namespace !== 'string' || typeof sa?.name !== 'string' || typeof sa.uid !== 'string')
    return undefined;
  const out: ServiceAccountClaims = {
    namespace: k.namespace,
    serviceAccount: { name: sa.name, uid: sa.uid },
  };
  for (const kind of ['Pod', 'Secret', 'Node'] as const) {
    const o = k[kind.toLowerCase()] as { name?: unknown; uid?: unknown } | undefined;
    if (o && typeof o.name === 'string' && typeof o.uid === 'string')
      out.boundObject = { kind, name: o.name, uid: o.uid };
  }
  return out;
}
