// Authentication: who is asking, for which tenant. In the kube-apiserver's union order, a client
// certificate signed by the tenant's CA comes first (client-certs.ts); otherwise a bearer token is
// either a kplex-signed token bound to the tenant (tokens.ts) or a host ServiceAccount token of
// one of the tenant's pods (service-account-tokens.ts); anything else is refused with the
// apiserver's 401 body.
import type { IncomingMessage } from 'node:http';
import { unauthorized } from '../api/status.js';
import type { UserInfo } from './user.js';
import type { SigningKey } from './signing-keys.js';
import { isKplexToken, tokenKid, verifyToken } from './tokens.js';
import type { HostServiceAccountAuthenticator } from './service-account-tokens.js';
import type { ClientCertAuthenticator } from './client-certs.js';

export interface Authenticator {
  /** Throws 401 Unauthorized when no credential proves an identity in `tenant`. */
  authenticate(req: IncomingMessage, tenant: string): Promise<UserInfo>;
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m?.[1];
}

export class TokenAuthenticator implements Authenticator {
  constructor(
    private readonly keys: () => SigningKey[],
    private readonly serviceAccounts?: HostServiceAccountAuthenticator,
    /** Reloads the keys (a token signed by a key rotated in elsewhere); at most once a second. */
    private readonly reloadKeys?: () => Promise<void>,
    private readonly clientCerts?: ClientCertAuthenticator,
  ) {}
  private lastReload = 0;

  async authenticate(req: IncomingMessage, tenant: string): Promise<UserInfo> {
    // x509 first, as in kube-apiserver; a certificate that proves nothing falls through to the
    // token (the union authenticator goes on after an authenticator's error).
    const byCert = await this.clientCerts?.authenticate(req, tenant);
    if (byCert) return byCert;
    const token = bearerToken(req);
    if (token) {
      if (isKplexToken(token)) {
        let user = await verifyToken(this.keys(), token, tenant);
        if (
          !user &&
          this.reloadKeys &&
          !this.keys().some((k) => k.kid === tokenKid(token)) &&
          Date.now() - this.lastReload > 1000
        ) {
          this.lastReload = Date.now();
          await this.reloadKeys();
          user = await verifyToken(this.keys(), token, tenant);
        }
        if (user) return user;
      } else if (this.serviceAccounts) {
        const user = await this.serviceAccounts.authenticate(token, tenant);
        if (user) return user;
      }
    }
    throw unauthorized();
  }
}
