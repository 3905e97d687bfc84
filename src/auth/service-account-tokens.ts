// Host-issued ServiceAccount tokens of a tenant's pods: reviewed by the host (TokenReview), the
// identity mapped to the tenant's by the namespace translator (its RECORDED mapping, never parsed
// from a name). Unauthenticated callers cost no host call: only a token that is a
// JWT issued by the host's ServiceAccount issuer, unexpired, for a ServiceAccount in one of THIS
// tenant's host namespaces, and signed by one of the host's published keys goes to TokenReview.
// Answers (positive and negative) are cached in a bounded map for a short TTL.
import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import type { HostClient } from '../hostapi/host-client.js';
import type { UserInfo } from '../authorizer/user.js';
import { podTokenAudience } from '../syncer/pod-wiring.js';
import { type NamespaceMap, serviceAccountToVirtual } from '../rewrite/namespace-translator.js';

const SA_PREFIX = 'system:serviceaccount:';

interface TokenReviewStatus {
  authenticated?: boolean;
  audiences?: string[];
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
}

interface Cached {
  expires: number;
  /** Host identity (or undefined when the host refused the token). */
  host?: { username: string; uid?: string; extra?: Record<string, string[]> };
}

/** The tenant's namespace mapping. */
export type NamespaceMapOf = (tenant: string) => Promise<NamespaceMap>;

interface Issuer {
  issuer?: string;
  keys?: ReturnType<typeof createLocalJWKSet>;
  kids: Set<string>;
  loaded: number;
}

export class HostServiceAccountAuthenticator {
  private readonly reviews: LRUCache<string, Cached>;
  private issuerInfo?: Promise<Issuer>;
  /** Host TokenReviews sent (for tests and metrics). */
  reviewsSent = 0;

  constructor(
    private readonly host: HostClient,
    private readonly namespaceMapOf: NamespaceMapOf,
    private readonly ttlMs = 10_000,
    maxEntries = 10_000,
    /** How often the host's keys may be re-read for a kid not seen yet. */
    private readonly keyRefreshMs = 30_000,
  ) {
    this.reviews = new LRUCache({ max: maxEntries });
  }

  /** The tenant identity of a host SA token, or undefined when it is not one of `tenant`'s. */
  async authenticate(token: string, tenant: string): Promise<UserInfo | undefined> {
    const claimed = hostServiceAccountClaims(token);
    if (!claimed) return undefined;
    const hostUsername = `${SA_PREFIX}${claimed.hostNamespace}:${claimed.sa}`;
    const virtual = serviceAccountToVirtual(hostUsername, await this.namespaceMapOf(tenant));
    if (!virtual) return undefined;
    if (!(await this.plausible(token, claimed.iss))) return undefined;
    // A pod token of the webhook names the tenant: reviewed for that audience only (the host
    // refuses it as a credential of its own); other host tokens are reviewed for the host's.
    const audience = tokenAudiences(token).includes(podTokenAudience(tenant))
      ? podTokenAudience(tenant)
      : undefined;
    const id = await this.review(token, audience);
    if (id?.username !== hostUsername) return undefined;
    return {
      username: virtual.username,
      ...(id.uid ? { uid: id.uid } : {}),
      groups: virtual.groups,
      ...(id.extra ? { extra: id.extra } : {}),
    };
  }

  /** Issuer and signature checked locally against the host's discovery documents. */
  private async plausible(token: string, iss: string): Promise<boolean> {
    const first = (this.issuerInfo ??= this.loadIssuer());
    let info = await first;
    const kid = safeKid(token);
    // Read again (at most every keyRefreshMs, once for all callers) when they were unreadable or
    // a key may have been added.
    const stale = Date.now() - info.loaded > this.keyRefreshMs;
    if (stale && (!info.keys || (kid !== undefined && !info.kids.has(kid)))) {
      if (this.issuerInfo === first) this.issuerInfo = this.loadIssuer();
      info = await this.issuerInfo;
    }
    if (info.issuer && iss !== info.issuer) return false;
    if (!info.keys) return true; // the host does not publish its keys to kplex: TokenReview decides
    try {
      await jwtVerify(token, info.keys, info.issuer ? { issuer: info.issuer } : {});
      return true;
    } catch {
      return false;
    }
  }

  private async loadIssuer(): Promise<Issuer> {
    const out: Issuer = { kids: new Set(), loaded: Date.now() };
    const json = <T>(b: unknown): T => (typeof b === 'string' ? (JSON.parse(b) as T) : (b as T));
    try {
      const conf = await this.host.request('GET', '/.well-known/openid-configuration');
      const issuer = conf.status === 200 ? json<{ issuer?: unknown }>(conf.body).issuer : undefined;
      if (typeof issuer === 'string') out.issuer = issuer;
      // Served only as application/jwk-set+json (406 for application/json).
      const res = await this.host.dispatcher.request({
        origin: this.host.origin,
        path: `${this.host.basePath}/openid/v1/jwks`,
        method: 'GET',
        headers: this.host.headers({ accept: 'application/jwk-set+json' }),
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      const text = await res.body.text();
      const jwks = res.statusCode === 200 ? json<JSONWebKeySet>(text) : undefined;
      if (jwks && Array.isArray(jwks.keys)) {
        out.keys = createLocalJWKSet(jwks);
        for (const k of jwks.keys) if (typeof k.kid === 'string') out.kids.add(k.kid);
      }
    } catch {
      // unreachable now: TokenReview decides until the documents are read again
    }
    return out;
  }

  private async review(token: string, audience?: string): Promise<Cached['host']> {
    const key = `${audience ?? ''}\0${createHash('sha256').update(token).digest('base64url')}`;
    const now = Date.now();
    const hit = this.reviews.peek(key); // kept in order of writing
    if (hit && hit.expires > now) return hit.host;
    this.reviewsSent++;
    const res = await this.host.request<{ status?: TokenReviewStatus }>(
      'POST',
      '/apis/authentication.k8s.io/v1/tokenreviews',
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token, ...(audience ? { audiences: [audience] } : {}) },
      },
    );
    if (res.status >= 500) throw new Error(`host TokenReview failed with ${res.status}`);
    const st = res.status === 201 || res.status === 200 ? res.body.status : undefined;
    const host =
      st?.authenticated && st.user?.username && (!audience || st.audiences?.includes(audience))
        ? { username: st.user.username, uid: st.user.uid, extra: st.user.extra }
        : undefined;
    this.reviews.delete(key);
    this.reviews.set(key, { expires: now + this.ttlMs, host });
    return host;
  }
}

/** The unverified claims of a well-formed, unexpired host ServiceAccount JWT; undefined otherwise. */
export function hostServiceAccountClaims(
  token: string,
  now = Date.now(),
): { iss: string; hostNamespace: string; sa: string } | undefined {
  if (token.length > 16_384 || token.split('.').length !== 3) return undefined;
  let p: ReturnType<typeof decodeJwt>;
  try {
    const h = decodeProtectedHeader(token);
    if (!h.alg || h.alg === 'none') return undefined;
    p = decodeJwt(token);
  } catch {
    return undefined;
  }
  if (typeof p.iss !== 'string' || typeof p.sub !== 'string' || !p.sub.startsWith(SA_PREFIX))
    return undefined;
  if (typeof p.exp === 'number' && p.exp * 1000 <= now) return undefined;
  const [hostNamespace, sa, ...rest] = p.sub.slice(SA_PREFIX.length).split(':');
  if (!hostNamespace || !sa || rest.length) return undefined;
  return { iss: p.iss, hostNamespace, sa };
}

/** The `aud` claim of a JWT (unverified), as a list. */
export function tokenAudiences(token: string): string[] {
  try {
    const aud = decodeJwt(token).aud;
    return typeof aud === 'string'
      ? [aud]
      : Array.isArray(aud)
        ? aud.filter((a) => typeof a === 'string')
        : [];
  } catch {
    return [];
  }
}

function safeKid(token: string): string | undefined {
  try {
    return decodeProtectedHeader(token).kid;
  } catch {
    return undefined;
  }
}
