// Authentication: who is asking, for which tenant. In the kube-apiserver's union order, a client
// certificate signed by the tenant's CA comes first (client-certs.ts); otherwise a bearer token is
// either a kplex-signed token bound to the tenant (tokens.ts: a user's, or a ServiceAccount's that
// must still exist) or a host ServiceAccount token of one of the tenant's pods
// (service-account-tokens.ts); anything else is refused with the apiserver's 401 body.
// A tenant is its UID: every credential is checked against the live Tenant's UID, and a path
// naming no live tenant is refused before anything else is looked at.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { unauthorized } from '../api/status.js';
import type { UserInfo } from '../authorizer/user.js';
import type { Credentials } from './credentials.js';
import type { SigningKey } from './signing-keys.js';
import {
  isKplexToken,
  tokenKid,
  verifyKplexToken,
  type ServiceAccountClaims,
  type VerifiedToken,
} from './tokens.js';
import type { HostServiceAccountAuthenticator } from './service-account-tokens.js';
import type { ClientCertAuthenticator } from './client-certs.js';

export interface Authenticator {
  /** Throws 401 Unauthorized when no credential proves an identity in `tenant`. */
  authenticate(credentials: Credentials, tenant: string): Promise<UserInfo>;
}

/** True when the ServiceAccount (and the object its token is bound to) still exist, with those UIDs. */
export type ServiceAccountCheck = (tenant: string, claims: ServiceAccountClaims) => Promise<boolean>;

export interface TokenAuthenticatorDeps {
  keys: () => SigningKey[];
  /** The UID of the live tenant of this name (undefined: no such tenant). */
  tenantUid: (tenant: string) => string | undefined;
  serviceAccounts?: HostServiceAccountAuthenticator;
  /** Checks kplex-signed ServiceAccount tokens against the live accounts; absent: refused. */
  serviceAccountCheck?: ServiceAccountCheck;
  /** Reloads the keys (a token signed by a key rotated in elsewhere); at most once per 10 s. */
  reloadKeys?: () => Promise<void>;
  clientCerts?: ClientCertAuthenticator;
}

/**
 * Verified kplex tokens, by hash: an ES256 verification costs ~0.2 ms of the one event loop every
 * tenant shares, so a busy client would pay it on every request (the apiserver caches token
 * authentication likewise). An entry lives at most a minute and never past the token's expiry, so a
 * removed signing key or a deleted tenant stops a cached token within a minute at the latest; the
 * tenant UID is part of the key, so a re-created tenant never hits the old one's entries.
 */
const VERIFIED_TTL_MS = 60_000;

export class TokenAuthenticator implements Authenticator {
  private lastReload = 0;
  private readonly verified = new LRUCache<string, VerifiedToken>({ max: 10_000, ttl: VERIFIED_TTL_MS });

  constructor(private readonly deps: TokenAuthenticatorDeps) {}

  async authenticate(credentials: Credentials, tenant: string): Promise<UserInfo> {
    const tenantUid = this.deps.tenantUid(tenant);
    if (!tenantUid) throw unauthorized();
    // x509 first, as in kube-apiserver; a certificate that proves nothing falls through to the
    // token (the union authenticator goes on after an authenticator's error).
    const byCert = await this.deps.clientCerts?.authenticate(credentials.certificate, tenant);
    if (byCert) return byCert;
    const { token } = credentials;
    if (token) {
      if (isKplexToken(token)) {
        const user = await this.kplexToken(token, { tenant, tenantUid });
        if (user) return user;
      } else if (this.deps.serviceAccounts) {
        const user = await this.deps.serviceAccounts.authenticate(token, tenant);
        if (user) return user;
      }
    }
    throw unauthorized();
  }

  private async kplexToken(
    token: string,
    ref: { tenant: string; tenantUid: string },
  ): Promise<UserInfo | undefined> {
    const { keys, reloadKeys } = this.deps;
    const cacheKey = `${ref.tenantUid}\0${createHash('sha256').update(token).digest('base64')}`;
    let v: VerifiedToken | undefined = this.verified.get(cacheKey);
    if (v) return this.accept(v, ref);
    v = await verifyKplexToken(keys(), token, ref);
    if (!v && reloadKeys && Date.now() - this.lastReload > 10_000) {
      const kid = tokenKid(token);
      if (kid && !keys().some((k) => k.kid === kid)) {
        this.lastReload = Date.now();
        await reloadKeys();
        v = await verifyKplexToken(keys(), token, ref);
      }
    }
    if (!v) return undefined;
    const ttl = Math.min(VERIFIED_TTL_MS, v.expiresAt * 1000 - Date.now());
    if (ttl > 0) this.verified.set(cacheKey, v, { ttl });
    return this.accept(v, ref);
  }

  /** ServiceAccount tokens are accepted only while their account (and bound object) still exist. */
  private async accept(v: VerifiedToken, ref: { tenant: string }): Promise<UserInfo | undefined> {
    if (v.serviceAccount && !(await this.deps.serviceAccountCheck?.(ref.tenant, v.serviceAccount)))
      return undefined;
    return v.user;
  }
}
