// Client certificates: a tenant's CA is created once per tenant in its store; a certificate proves
// CN/O only when it chains to the CA it is checked against and is valid now.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { FileClientCAStore } from '../../../src/auth/client-ca-store.js';
import { ClientCertAuthenticator, verifyClientCertificate } from '../../../src/auth/client-certs.js';
import { credentialsOf } from '../../../src/auth/credentials.js';
import { createCA, issueCert, loadCA, X509Certificate } from '../../../src/pki/certs.js';

const dirs: string[] = [];
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'kplex-client-ca-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const der = (pem: string) => Buffer.from(new X509Certificate(pem).rawData);
const DAY = 86_400_000;
/** A request whose TLS connection presented `cert` (or none). */
const requestWith = (cert?: string) =>
  credentialsOf({
    headers: {},
    socket: { getPeerCertificate: () => (cert ? { raw: der(cert) } : {}) },
  } as unknown as IncomingMessage).certificate;

const A = { tenant: 'a', tenantUid: '0a0a0a0a-0000-4000-8000-00000000000a' };
const B = { tenant: 'b', tenantUid: '0b0b0b0b-0000-4000-8000-00000000000b' };
/** Tenant `a` deleted and created again: same name, another UID. */
const A2 = { tenant: 'a', tenantUid: '0a0a0a0a-0000-4000-8000-0000000000a2' };

describe('tenant client CA store', () => {
  it('creates a tenant CA once, one per tenant UID, and forgets it on remove', async () => {
    const store = new FileClientCAStore(dir());
    expect(await store.get(A.tenantUid)).toBeUndefined();
    const a1 = await store.getOrCreate(A);
    const a2 = await store.getOrCreate(A);
    const b = await store.getOrCreate(B);
    expect(a2.cert).toBe(a1.cert);
    expect(b.cert).not.toBe(a1.cert);
    expect((await store.getOrCreate(A2)).cert).not.toBe(a1.cert);
    expect((await store.get(A.tenantUid))?.cert).toBe(a1.cert);
    await store.remove(A.tenantUid);
    expect(await store.get(A.tenantUid)).toBeUndefined();
  });

  it('refuses a UID that could escape its directory', async () => {
    const store = new FileClientCAStore(dir());
    await expect(store.get('../../etc')).rejects.toThrow(/invalid tenant uid/);
  });
});

describe('verifyClientCertificate', () => {
  it('names the user by CN and the groups by O, plus system:authenticated', async () => {
    const ca = await createCA('tenant-a');
    const leaf = await issueCert(ca, { commonName: 'alice', organizations: ['dev', 'ops'], client: true });
    const user = await verifyClientCertificate(der(leaf.cert), [ca.certificate]);
    expect(user?.username).toBe('alice');
    expect(user?.groups).toEqual(['dev', 'ops', 'system:authenticated']);
    expect(user?.extra?.['authentication.kubernetes.io/credential-id']?.[0]).toMatch(
      /^X509SHA256=[0-9a-f]{64}$/,
    );
  });

  it('refuses a certificate of another CA, even one with the same subject', async () => {
    const a = await createCA('same-name');
    const b = await createCA('same-name');
    const leaf = await issueCert(b, {
      commonName: 'mallory',
      organizations: ['system:masters'],
      client: true,
    });
    expect(await verifyClientCertificate(der(leaf.cert), [a.certificate])).toBeUndefined();
    expect(await verifyClientCertificate(der(leaf.cert), [b.certificate])).toBeDefined();
  });

  it('refuses an expired or not yet valid certificate', async () => {
    const ca = await createCA('t');
    const expired = await issueCert(ca, {
      commonName: 'old',
      client: true,
      notBefore: new Date(Date.now() - 2 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const future = await issueCert(ca, {
      commonName: 'soon',
      client: true,
      notBefore: new Date(Date.now() + DAY),
      notAfter: new Date(Date.now() + 2 * DAY),
    });
    expect(await verifyClientCertificate(der(expired.cert), [ca.certificate])).toBeUndefined();
    expect(await verifyClientCertificate(der(future.cert), [ca.certificate])).toBeUndefined();
    expect(
      await verifyClientCertificate(der(future.cert), [ca.certificate], new Date(Date.now() + 1.5 * DAY)),
    ).toBeDefined();
  });

  it('refuses a serving-only certificate, one without CN, and the CA itself', async () => {
    const ca = await createCA('t');
    const serving = await issueCert(ca, { commonName: 'web', server: true });
    const noCN = await issueCert(ca, { commonName: '', client: true });
    expect(await verifyClientCertificate(der(serving.cert), [ca.certificate])).toBeUndefined();
    expect(await verifyClientCertificate(der(noCN.cert), [ca.certificate])).toBeUndefined();
    expect(await verifyClientCertificate(Buffer.from('not a certificate'), [ca.certificate])).toBeUndefined();
  });
});

/** A CA store that counts its reads (a host Secret GET each, in production). */
class CountingStore extends FileClientCAStore {
  reads = 0;
  override async get(uid: string) {
    this.reads++;
    return super.get(uid);
  }
}

describe('ClientCertAuthenticator', () => {
  it('accepts a certificate only on the tenant UID whose CA signed it, and sees a CA created later', async () => {
    const store = new FileClientCAStore(dir());
    const uids: Record<string, string> = { a: A.tenantUid, b: B.tenantUid };
    const authn = new ClientCertAuthenticator([store], (t) => uids[t], { negativeTtlMs: 50 });
    const caA = await loadCA(await store.getOrCreate(A));
    const cert = await issueCert(caA, {
      commonName: 'alice',
      organizations: ['system:masters'],
      client: true,
    });
    expect((await authn.authenticate(requestWith(cert.cert), 'a'))?.username).toBe('alice');
    expect(await authn.authenticate(requestWith(cert.cert), 'b')).toBeUndefined();
    expect(await authn.authenticate(requestWith(), 'a')).toBeUndefined();
    expect(
      await authn.authenticate(credentialsOf({ headers: {} } as IncomingMessage).certificate, 'a'),
    ).toBeUndefined();

    // tenant b's CA appears after the authenticator looked (and found none)
    const caB = await loadCA(await store.getOrCreate(B));
    const certB = await issueCert(caB, { commonName: 'bob', client: true });
    await new Promise((r) => setTimeout(r, 60));
    expect((await authn.authenticate(requestWith(certB.cert), 'b'))?.username).toBe('bob');

    // tenant a deleted and created again: the old certificate proves nothing
    uids.a = A2.tenantUid;
    await store.getOrCreate(A2);
    expect(await authn.authenticate(requestWith(cert.cert), 'a')).toBeUndefined();
  });

  it('reads the certificate of a keep-alive connection once, and remembers the verdict', async () => {
    const store = new CountingStore(dir());
    const authn = new ClientCertAuthenticator([store], () => A.tenantUid);
    const ca = await loadCA(await store.getOrCreate(A));
    const cert = await issueCert(ca, { commonName: 'alice', client: true });
    store.reads = 0;
    let reads = 0;
    const socket = {
      getPeerCertificate: () => {
        reads++;
        return { raw: der(cert.cert) };
      },
    };
    const req = { headers: {}, socket } as unknown as IncomingMessage;
    for (let i = 0; i < 50; i++)
      expect((await authn.authenticate(credentialsOf(req).certificate, 'a'))?.username).toBe('alice');
    expect(reads).toBe(1);
    expect(store.reads).toBe(1);
  });

  it('looks nothing up for an unknown tenant or a certificate another CA issued, and caches misses', async () => {
    const store = new CountingStore(dir());
    const authn = new ClientCertAuthenticator([store], (t) => (t === 'a' ? A.tenantUid : undefined), {
      maxEntries: 2,
    });
    const stranger = await createCA('somebody');
    const foreign = await issueCert(stranger, {
      commonName: 'mallory',
      organizations: ['system:masters'],
      client: true,
    });
    for (let i = 0; i < 20; i++) {
      expect(await authn.authenticate(requestWith(foreign.cert), 'a')).toBeUndefined();
      expect(await authn.authenticate(requestWith(foreign.cert), `nope-${i}`)).toBeUndefined();
    }
    expect(store.reads).toBe(0);
    // A forged certificate naming the right issuer: one lookup, then the cached miss answers.
    const forger = await createCA(`kplex-client-ca-${A.tenantUid}`);
    const forged = await issueCert(forger, {
      commonName: 'mallory',
      organizations: ['system:masters'],
      client: true,
    });
    for (let i = 0; i < 20; i++)
      expect(await authn.authenticate(requestWith(forged.cert), 'a')).toBeUndefined();
    expect(store.reads).toBe(1);
    expect(authn.cached()).toBeLessThanOrEqual(2);
  });
});
