// Wires authentication and the identity stage of `kplex serve`: every credential is checked
// against the live Tenant's UID (TenantDirectory), host lookups go through the tenant's recorded
// namespace mapping, and kplex issues its tenants' ServiceAccount tokens itself.
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import { tenantScope } from '../host/tenant-scope.js';
import type { RuntimeCache } from '../tenancy/runtime-cache.js';
import { TokenAuthenticator } from './authenticator.js';
import type { ClientCAStore } from './client-ca-store.js';
import { ClientCertAuthenticator } from './client-certs.js';
import { IdentityStage } from './identity-stage.js';
import type { AccessDecider } from './reviews.js';
import { ServiceAccountIssuer, type TenantObjectReader } from './service-account-issuer.js';
import { HostServiceAccountAuthenticator } from './service-account-tokens.js';
import type { KeyRing } from './signing-keys.js';
import { SA_TOKEN_SECRET_TYPE, isCurrentKplexToken, setTokenSecretFixer } from '../rewrite/token-secrets.js';
import { mintServiceAccountToken } from './tokens.js';

/** Lifetime of the kplex token in a legacy token Secret (renewed on a read in its last 30 days). */
const SECRET_TOKEN_SECONDS = 365 * 86400;
const SA_NAME_ANNOTATION = 'kubernetes.io/service-account.name';

interface SecretShape extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export interface TenantIdentityDeps {
  host: HostClient;
  tenantUid: (tenant: string) => string | undefined;
  runtimes: RuntimeCache;
  keys: KeyRing;
  clientCAs: ClientCAStore[];
  decider: AccessDecider;
}

export function tenantIdentity(d: TenantIdentityDeps) {
  const mapOf = async (tenant: string) => tenantScope(await d.runtimes.get(tenant)).namespaceMap();
  const read: TenantObjectReader = async (tenant, namespace, resource, name) => {
    const h = (await mapOf(tenant)).hostOf(namespace);
    if (!h || !name) return undefined;
    const res = await d.host.request<KubeObject>(
      'GET',
      `/api/v1/namespaces/${h}/${resource}/${encodeURIComponent(name)}`,
    );
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`host GET ${resource}: ${res.status}`);
    return res.body;
  };
  const issuer = new ServiceAccountIssuer(() => d.keys.signer(), d.tenantUid, read);
  const clientCerts = new ClientCertAuthenticator(d.clientCAs, d.tenantUid);
  const hostServiceAccounts = new HostServiceAccountAuthenticator(d.host, mapOf);
  const authn = new TokenAuthenticator({
    keys: () => d.keys.keys(),
    tenantUid: d.tenantUid,
    serviceAccounts: hostServiceAccounts,
    serviceAccountCheck: (tenant, claims) => issuer.stillValid(tenant, claims),
    reloadKeys: () => d.keys.reload(),
    clientCerts,
  });
  const identity = new IdentityStage(d.decider, authn, issuer);
  // Legacy token Secrets: kplex's token replaces the host's in the host Secret (one fix at a time each).
  const fixing = new Set<string>();
  const fixSecret = async (tenant: string, hostNs: string, name: string): Promise<void> => {
    const tenantUid = d.tenantUid(tenant);
    const ns = (await mapOf(tenant)).virtualOf(hostNs);
    if (!tenantUid || !ns) return;
    const path = `/api/v1/namespaces/${hostNs}/secrets/${encodeURIComponent(name)}`;
    const got = await d.host.request<SecretShape>('GET', path);
    const secret = got.body;
    if (got.status !== 200 || secret.type !== SA_TOKEN_SECRET_TYPE || !secret.metadata?.uid) return;
    const current = secret.data?.token ? Buffer.from(secret.data.token, 'base64').toString('utf8') : '';
    if (current && isCurrentKplexToken(current)) return;
    const saName = secret.metadata.annotations?.[SA_NAME_ANNOTATION] ?? '';
    const sa = saName ? await read(tenant, ns, 'serviceaccounts', saName) : undefined;
    if (!sa?.metadata?.uid) return;
    const { token } = await mintServiceAccountToken(d.keys.signer(), {
      tenant,
      tenantUid,
      namespace: ns,
      serviceAccount: { name: saName, uid: sa.metadata.uid },
      audiences: [],
      expirationSeconds: SECRET_TOKEN_SECONDS,
      boundObject: { kind: 'Secret', name, uid: secret.metadata.uid },
    });
    secret.data = {
      ...(secret.data ?? {}),
      token: Buffer.from(token).toString('base64'),
      namespace: Buffer.from(hostNs).toString('base64'), // host names on the host: read back virtual
    };
    await d.host.request('PUT', path, secret); // a 409 (changed meanwhile): the next read tries again
  };
  setTokenSecretFixer((tenant, hostNs, name) => {
    const key = `${hostNs}/${name}`;
    if (fixing.has(key) || fixing.size > 1000) return;
    fixing.add(key);
    void fixSecret(tenant, hostNs, name)
      .catch(() => undefined)
      .finally(() => fixing.delete(key));
  });
  return {
    authn,
    identity,
    /** A deleted tenant's cached CA goes. */
    forget: (uid: string) => clientCerts.forget(uid),
  };
}
