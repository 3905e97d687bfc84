// Continue tokens handed to tenants: the host's token (or a fan-out position) sealed with
// AES-256-GCM under a key only this process holds, bound to the tenant. A token forged, altered,
// or minted for another tenant does not open: 400 as the apiserver answers an invalid token.
// The key is per process: after a restart old tokens are refused and clients relist (as after 410).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { badRequest } from '../api/status.js';

export interface PassthroughContinue {
  /** Virtual namespace the list stopped in ('' for a single-namespace or cluster-scoped list). */
  ns: string;
  /** The host's continue token within that namespace ('' = start of the next namespace). */
  host: string;
  /** The resourceVersion every page of a fan-out list is read at. */
  rv: string;
}

export class ContinueSealer {
  constructor(private readonly key: Buffer = randomBytes(32)) {}

  seal(tenant: string, token: PassthroughContinue): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(Buffer.from(tenant));
    const data = Buffer.concat([c.update(JSON.stringify([token.ns, token.host, token.rv])), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), data]).toString('base64url');
  }

  open(tenant: string, sealed: string): PassthroughContinue {
    const invalid = badRequest('invalid continue token: continue key is not valid');
    if (!/^[A-Za-z0-9_-]+$/.test(sealed)) throw invalid;
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < 29) throw invalid;
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      d.setAAD(Buffer.from(tenant));
      d.setAuthTag(raw.subarray(12, 28));
      const text = Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
      const [ns, host, rv] = JSON.parse(text) as [string, string, string];
      return { ns, host, rv };
    } catch {
      throw invalid;
    }
  }
}
