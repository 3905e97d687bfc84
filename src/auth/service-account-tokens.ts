// Host-issued ServiceAccount tokens of a tenant's pods: reviewed by the host (TokenReview), the
// host namespace looked up by its recorded labels (never parsed from its name), and the identity
// mapped to the tenant's virtual namespace. Answers are cached for a short TTL, so a busy pod
// does not cost a review per request.
import { createHash } from 'node:crypto';
import type { HostClient } from '../host/host-client.js';
import { LABEL_NAMESPACE, LABEL_TENANT } from '../tenancy/namespace-mapping.js';
import type { UserInfo } from './user.js';

const SA_PREFIX = 'system:serviceaccount:';

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
}

interface Cached {
  expires: number;
  /** Host identity (or undefined when the host refused the token). */
  host?: { username: string; uid?: string; extra?: Record<string, string[]> };
}

export class HostServiceAccountAuthenticator {
  private readonly reviews = new Map<string, Cached>();
  private readonly namespaces = new Map<
    string,
    { expires: number; labels: Record<string, string> | undefined }
  >();

  constructor(
    private readonly host: HostClient,
    private readonly ttlMs = 10_000,
    private readonly maxEntries = 10_000,
  ) {}

  /** The tenant identity of a host SA token, or undefined when it is not one of `tenant`'s. */
  async authenticate(token: string, tenant: string): Promise<UserInfo | undefined> {
    const id = await this.review(token);
    if (!id?.username.startsWith(SA_PREFIX)) return undefined;
    const [hostNs, sa] = id.username.slice(SA_PREFIX.length).split(':');
    if (!hostNs || !sa) return undefined;
    const labels = await this.namespaceLabels(hostNs);
    const ns = labels?.[LABEL_NAMESPACE];
    if (labels?.[LABEL_TENANT] !== tenant || !ns) return undefined;
    return {
      username: `${SA_PREFIX}${ns}:${sa}`,
      ...(id.uid ? { uid: id.uid } : {}),
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
      ...(id.extra ? { extra: id.extra } : {}),
    };
  }

  private async review(token: string): Promise<Cached['host']> {
    const key = createHash('sha256').update(token).digest('base64url');
    const now = Date.now();
    const hit = this.reviews.get(key);
    if (hit && hit.expires > now) return hit.host;
    const res = await this.host.request<{ status?: TokenReviewStatus }>(
      'POST',
      '/apis/authentication.k8s.io/v1/tokenreviews',
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token },
      },
    );
    if (res.status >= 500) throw new Error(`host TokenReview failed with ${res.status}`);
    const st = res.status === 201 || res.status === 200 ? res.body.status : undefined;
    const host =
      st?.authenticated && st.user?.username
        ? { username: st.user.username, uid: st.user.uid, extra: st.user.extra }
        : undefined;
    this.remember(this.reviews, key, { expires: now + this.ttlMs, host });
    return host;
  }

  private async namespaceLabels(name: string): Promise<Record<string, string> | undefined> {
    const now = Date.now();
    const hit = this.namespaces.get(name);
    if (hit && hit.expires > now) return hit.labels;
    const res = await this.host.request<{ metadata?: { labels?: Record<string, string> } }>(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(name)}`,
    );
    if (res.status >= 500) throw new Error(`host namespace lookup failed with ${res.status}`);
    const labels = res.status === 200 ? (res.body.metadata?.labels ?? {}) : undefined;
    this.remember(this.namespaces, name, { expires: now + this.ttlMs, labels });
    return labels;
  }

  private remember<V>(m: Map<string, V>, k: string, v: V): void {
    m.delete(k);
    m.set(k, v);
    while (m.size > this.maxEntries) m.delete(m.keys().next().value as string);
  }
}
