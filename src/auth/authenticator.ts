// Authentication: who is asking, for which tenant. Unauthenticated requests are refused with
// the apiserver's 401 body (anonymous access per tenant arrives with issue 6).
import type { IncomingMessage } from 'node:http';
import { unauthorized } from '../api/status.js';
import type { UserInfo } from './user.js';
import type { SigningKey } from './signing-keys.js';
import { verifyToken } from './tokens.js';

export interface Authenticator {
  /** Throws 401 Unauthorized when no credential proves an identity in `tenant`. */
  authenticate(req: IncomingMessage, tenant: string): Promise<UserInfo>;
}

export class TokenAuthenticator implements Authenticator {
  constructor(private readonly keys: () => SigningKey[]) {}

  async authenticate(req: IncomingMessage, tenant: string): Promise<UserInfo> {
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (m?.[1]) {
      const user = await verifyToken(this.keys(), m[1], tenant);
      if (user) return user;
    }
    throw unauthorized();
  }
}
