// Client-certificate authentication, as the apiserver's x509 authenticator does it with the
// tenant's own CA as --client-ca-file: a certificate that chains to THE REQUESTED tenant's CA,
// is within its validity dates and may be used for client auth names the user (CN) and groups
// (O). Any other certificate (another tenant's, the host's, expired) proves nothing.
import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';
import type { ClientCertificate } from './credentials.js';
import { X509Certificate, ExtendedKeyUsage, ExtendedKeyUsageExtension } from '../pki/certs.js';
import { clientCACommonName, type ClientCAStore } from './client-ca-store.js';
import { SYSTEM_AUTHENTICATED, type UserInfo } from '../authorizer/user.js';

const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';
const CREDENTIAL_ID_KEY = 'authentication.kubernetes.io/credential-id';

/**
 * The identity `leaf` proves when it is signed by one of `cas` and valid at `now`; undefined
 * otherwise. Like Go's x509 Verify: the CA must itself be valid, an EKU extension must allow
 * client auth, and a certificate without a CN authenticates no one.
 */
export async function verifyClientCertificate(
  leafDer: Buffer | ArrayBuffer,
  cas: X509Certificate[],
  now = new Date(),
): Promise<UserInfo | undefined> {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafDer);
  } catch {
    return undefined;
  }
  if (!(await chainsTo(leaf, cas, now)) || !allowsClientAuth(leaf)) return undefined;
  const [username] = leaf.subjectName.getField('CN');
  if (!username) return undefined;
  const groups = leaf.subjectName.getField('O');
  const fingerprint = createHash('sha256').update(Buffer.from(leaf.rawData)).digest('hex');
  return {
    username,
    groups: groups.includes(SYSTEM_AUTHENTICATED) ? groups : [...groups, SYSTEM_AUTHENTICATED],
    extra: { [CREDENTIAL_ID_KEY]: [`X509SHA256=${fingerprint}`] },
  };
}

async function chainsTo(leaf: X509Certificate, cas: X509Certificate[], now: Date): Promise<boolean> {
  for (const ca of cas) {
    if (leaf.issuer !== ca.subject) continue;
    if (!(now > ca.notBefore && now < ca.notAfter)) continue;
    try {
      if (await leaf.verify({ publicKey: ca.publicKey, date: now })) return true;
    } catch {
      // a key of another algorithm cannot have signed it
    }
  }
  return false;
}

function allowsClientAuth(leaf: X509Certificate): boolean {
  const eku = leaf.getExtension(ExtendedKeyUsageExtension);
  if (!eku) return true; // no EKU extension: any usage, as in Go
  const usages = eku.usages.map(String);
  return usages.includes(ExtendedKeyUsage.clientAuth) || usages.includes(ANY_EXTENDED_KEY_USAGE);
}

/**
 * Authenticates requests by client certificate against the requested tenant's CA. Unauthenticated
 * callers cost no host call: a certificate for a tenant that does not exist, or whose issuer is not
 * that tenant's CA, is refused before any lookup; CAs are cached in a bounded LRU, a missing CA
 * (negative entry) for a short time, so a flood of certificates costs at most one lookup per tenant
 * per `negativeTtlMs`.
 */
interface Presented {
  der: Buffer;
  issuer: string;
  notAfter: number;
  fingerprint: string;
}

export class ClientCertAuthenticator {
  private readonly cache: LRUCache<string, { cas: Promise<X509Certificate[]>; expires: number }>;
  /** Per TLS connection: the certificate it presented (null: none or unreadable). */
  private readonly presented = new WeakMap<object, Presented | null>();
  /** (tenant UID, certificate fingerprint) -> the identity it proved, or none. */
  private readonly verdicts: LRUCache<string, { user: UserInfo | undefined; expires: number }>;

  constructor(
    /** Every store a tenant's CA may live in (host Secret, data dir): each one's CA is trusted. */
    private readonly stores: ClientCAStore[],
    /** The UID of a live tenant (undefined: no such tenant). */
    private readonly tenantUid: (tenant: string) => string | undefined,
    private readonly opts: { maxEntries?: number; positiveTtlMs?: number; negativeTtlMs?: number } = {},
  ) {
    this.cache = new LRUCache({ max: opts.maxEntries ?? 4096 });
    this.verdicts = new LRUCache({ max: opts.maxEntries ?? 4096 });
  }

  /** The certificate's identity in `tenant`, or undefined when none was presented or it proves none. */
  async authenticate(cert: ClientCertificate | undefined, tenant: string): Promise<UserInfo | undefined> {
    const p = cert && this.presentedOn(cert);
    if (!p) return undefined;
    const uid = this.tenantUid(tenant);
    if (!uid || p.issuer !== `CN=${clientCACommonName(uid)}`) return undefined;
    const key = `${uid}\0${p.fingerprint}`;
    const now = Date.now();
    const hit = this.verdicts.peek(key); // kept in order of writing, as before
    if (hit && hit.expires > now) return hit.user && { ...hit.user, groups: [...hit.user.groups] };
    const user = await verifyClientCertificate(p.der, await this.cas(uid));
    // A verdict is kept a minute at most (never past the certificate's end); a refusal briefly.
    const expires = user ? Math.min(now + 60_000, p.notAfter) : now + (this.opts.negativeTtlMs ?? 2_000);
    this.verdicts.delete(key);
    this.verdicts.set(key, { user, expires });
    return user && { ...user, groups: [...user.groups] };
  }

  /**
   * The certificate of the request's TLS connection, parsed once per connection (a keep-alive
   * connection sends many requests with the same certificate).
   */
  private presentedOn(cert: ClientCertificate): Presented | undefined {
    const socket = cert.connection;
    const known = this.presented.get(socket);
    if (known !== undefined) return known ?? undefined;
    const der = cert.der();
    let p: Presented | null = null;
    if (der) {
      try {
        const leaf = new X509Certificate(der);
        p = {
          der,
          issuer: leaf.issuer,
          notAfter: leaf.notAfter.getTime(),
          fingerprint: createHash('sha256').update(der).digest('hex'),
        };
      } catch {
        p = null;
      }
    }
    this.presented.set(socket, p);
    return p ?? undefined;
  }

  /** Drops a tenant's cached CAs (a deleted tenant). */
  forget(uid: string): void {
    this.cache.delete(uid);
  }

  /** How many tenants' CAs (or their absence) are cached. */
  cached(): number {
    return this.cache.size;
  }

  private cas(uid: string): Promise<X509Certificate[]> {
    const now = Date.now();
    const hit = this.cache.get(uid);
    if (hit && hit.expires > now) return hit.cas;
    const entry = { cas: this.load(uid), expires: now + (this.opts.negativeTtlMs ?? 2_000) };
    this.cache.set(uid, entry);
    // A CA, once found, never changes for a UID: keep it long. Nothing found (or an error): briefly.
    void entry.cas.then(
      (cas) => {
        if (cas.length) entry.expires = Date.now() + (this.opts.positiveTtlMs ?? 10 * 60_000);
      },
      () => undefined,
    );
    return entry.cas.catch(() => []);
  }

  private async load(uid: string): Promise<X509Certificate[]> {
    const cas: X509Certificate[] = [];
    for (const store of this.stores) {
      const pem = await store.get(uid).catch(() => undefined);
      if (pem) cas.push(new X509Certificate(pem.cert));
    }
    return cas;
  }
}
