// kplex tokens: bound to one tenant name AND its UID, always expiring; ServiceAccount tokens name
// the virtual namespace and cannot be forged from a user token; host-token pre-checks refuse
// garbage before any host call.
import { SignJWT, UnsecuredJWT, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { newStoredKey } from '../../../src/auth/key-store.js';
import { hostServiceAccountClaims } from '../../../src/auth/service-account-tokens.js';
import { importKeys } from '../../../src/auth/signing-keys.js';
import {
  DEFAULT_TOKEN_TTL_SECONDS,
  TOKEN_ISSUER,
  mintServiceAccountToken,
  mintToken,
  tenantAudience,
  verifyKplexToken,
  verifyToken,
} from '../../../src/auth/tokens.js';

const T = { tenant: 'acme', tenantUid: '11111111-1111-4111-8111-111111111111' };
const keys = async () => importKeys({ keys: [await newStoredKey()] });
const claims = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe('kplex user tokens', () => {
  it('expire after the default TTL and name the tenant UID', async () => {
    const [k] = await keys();
    const token = await mintToken(k!, { ...T, user: 'u', groups: [] });
    const c = claims(token);
    expect((c.exp as number) - (c.iat as number)).toBe(DEFAULT_TOKEN_TTL_SECONDS);
    expect(c['kplex.io/tenant-uid']).toBe(T.tenantUid);
    expect(await verifyToken([k!], token, T)).toEqual({ username: 'u', groups: ['system:authenticated'] });
  });

  it('are refused by a new tenant of the same name, another tenant, after expiry, or tampered', async () => {
    const [k] = await keys();
    const token = await mintToken(k!, { ...T, user: 'u', groups: ['system:masters'] });
    expect(
      await verifyToken([k!], token, { ...T, tenantUid: '22222222-2222-4222-8222-222222222222' }),
    ).toBeUndefined();
    expect(await verifyToken([k!], token, { ...T, tenant: 'other' })).toBeUndefined();
    const [head, , sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims(token), sub: 'root' })).toString('base64url');
    expect(await verifyToken([k!], `${head}.${forged}.${sig}`, T)).toBeUndefined();
    const expired = await new SignJWT({ 'kplex.io/tenant': T.tenant, 'kplex.io/tenant-uid': T.tenantUid })
      .setProtectedHeader({ alg: 'ES256', kid: k!.kid })
      .setIssuer(TOKEN_ISSUER)
      .setSubject('u')
      .setAudience(tenantAudience(T.tenant))
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(k!.privateKey);
    expect(await verifyToken([k!], expired, T)).toBeUndefined();
    const none = new UnsecuredJWT({ 'kplex.io/tenant': T.tenant, 'kplex.io/tenant-uid': T.tenantUid })
      .setIssuer(TOKEN_ISSUER)
      .setSubject('u')
      .setAudience(tenantAudience(T.tenant))
      .setExpirationTime('1h')
      .encode();
    expect(await verifyToken([k!], none, T)).toBeUndefined();
  });

  it('refuse tokens without an expiry and user tokens that pose as a ServiceAccount', async () => {
    const [k] = await keys();
    const base = () =>
      new SignJWT({ 'kplex.io/tenant': T.tenant, 'kplex.io/tenant-uid': T.tenantUid })
        .setProtectedHeader({ alg: 'ES256', kid: k!.kid })
        .setIssuer(TOKEN_ISSUER)
        .setAudience(tenantAudience(T.tenant));
    expect(await verifyToken([k!], await base().setSubject('u').sign(k!.privateKey), T)).toBeUndefined();
    const posing = await mintToken(k!, { ...T, user: 'system:serviceaccount:default:robot', groups: [] });
    expect(await verifyKplexToken([k!], posing, T)).toBeUndefined();
  });
});

describe('kplex ServiceAccount tokens', () => {
  it('name the virtual namespace, honour expirationSeconds and bind to an object', async () => {
    const [k] = await keys();
    const { token, expires } = await mintServiceAccountToken(k!, {
      ...T,
      namespace: 'app',
      serviceAccount: { name: 'robot', uid: 'sa-uid' },
      audiences: [],
      expirationSeconds: 900,
      boundObject: { kind: 'Pod', name: 'p', uid: 'pod-uid' },
    });
    const c = claims(token);
    expect(c.sub).toBe('system:serviceaccount:app:robot');
    expect(c.aud).toEqual([tenantAudience(T.tenant)]);
    expect((c.exp as number) - (c.iat as number)).toBe(900);
    expect(Math.abs(expires.getTime() - (c.exp as number) * 1000)).toBeLessThan(1000);
    const v = await verifyKplexToken([k!], token, T);
    expect(v?.user.username).toBe('system:serviceaccount:app:robot');
    expect(v?.user.groups).toEqual([
      'system:serviceaccounts',
      'system:serviceaccounts:app',
      'system:authenticated',
    ]);
    expect(v?.serviceAccount?.boundObject).toEqual({ kind: 'Pod', name: 'p', uid: 'pod-uid' });
    // not a user token
    expect(await verifyToken([k!], token, T)).toBeUndefined();
  });

  it('with other audiences are not accepted by kplex', async () => {
    const [k] = await keys();
    const { token } = await mintServiceAccountToken(k!, {
      ...T,
      namespace: 'app',
      serviceAccount: { name: 'r', uid: 'x' },
      audiences: ['vault'],
      expirationSeconds: 600,
    });
    expect(await verifyKplexToken([k!], token, T)).toBeUndefined();
  });
});

describe('host ServiceAccount token pre-checks', () => {
  it('pass only well-formed, unexpired ServiceAccount JWTs', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const sa = (sub: string, exp: string | number = '1h') =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuer('https://host')
        .setSubject(sub)
        .setExpirationTime(exp)
        .sign(privateKey);
    expect(hostServiceAccountClaims(await sa('system:serviceaccount:acme-app:robot'))).toEqual({
      iss: 'https://host',
      hostNamespace: 'acme-app',
      sa: 'robot',
    });
    expect(hostServiceAccountClaims(await sa('alice'))).toBeUndefined();
    expect(hostServiceAccountClaims(await sa('system:serviceaccount:ns:robot:extra'))).toBeUndefined();
    expect(
      hostServiceAccountClaims(await sa('system:serviceaccount:ns:robot', Math.floor(Date.now() / 1000) - 5)),
    ).toBeUndefined();
    expect(hostServiceAccountClaims('garbage')).toBeUndefined();
    expect(hostServiceAccountClaims('a.b.c')).toBeUndefined();
    const none = new UnsecuredJWT({})
      .setIssuer('https://host')
      .setSubject('system:serviceaccount:ns:robot')
      .encode();
    expect(hostServiceAccountClaims(none)).toBeUndefined();
  });
});
