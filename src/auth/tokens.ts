// Tenant user tokens: JWTs signed by kplex. The audience binds a token to ONE tenant, so a
// token of tenant A is refused on tenant B's endpoint.
import { SignJWT, jwtVerify, decodeJwt, decodeProtectedHeader, errors as joseErrors } from 'jose';
import type { UserInfo } from './user.js';
import { TOKEN_ALG, type SigningKey } from './signing-keys.js';

export const TOKEN_ISSUER = 'https://kplex.io/tokens';
const GROUPS_CLAIM = 'kplex.io/groups';
const TENANT_CLAIM = 'kplex.io/tenant';

export const tenantAudience = (tenant: string): string => `kplex:tenant:${tenant}`;

export interface TokenRequest {
  tenant: string;
  user: string;
  groups: string[];
  ttlSeconds?: number;
}

export async function mintToken(key: SigningKey, req: TokenRequest): Promise<string> {
  const jwt = new SignJWT({ [GROUPS_CLAIM]: req.groups, [TENANT_CLAIM]: req.tenant })
    .setProtectedHeader({ alg: TOKEN_ALG, kid: key.kid, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setSubject(req.user)
    .setAudience(tenantAudience(req.tenant))
    .setIssuedAt();
  if (req.ttlSeconds) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + req.ttlSeconds);
  return jwt.sign(key.privateKey);
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

/** Verifies a kplex token for `tenant`; returns undefined when it is not a valid kplex token for it. */
export async function verifyToken(
  keys: SigningKey[],
  token: string,
  tenant: string,
): Promise<UserInfo | undefined> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return undefined;
  }
  const key = keys.find((k) => k.kid === kid);
  if (!key) return undefined;
  try {
    const { payload } = await jwtVerify(token, key.publicKey, {
      issuer: TOKEN_ISSUER,
      audience: tenantAudience(tenant),
      algorithms: [TOKEN_ALG],
    });
    if (payload[TENANT_CLAIM] !== tenant || typeof payload.sub !== 'string' || !payload.sub) return undefined;
    const groups = Array.isArray(payload[GROUPS_CLAIM])
      ? (payload[GROUPS_CLAIM] as unknown[]).filter((g): g is string => typeof g === 'string')
      : [];
    return { username: payload.sub, groups: [...new Set([...groups, 'system:authenticated'])] };
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) return undefined;
    throw err;
  }
}
