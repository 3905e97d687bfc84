// Legacy token Secrets on their way to a tenant: the namespace key names the virtual namespace, a
// host-signed token never shows, and kplex is asked to put its own token in the host Secret.
import { SignJWT, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { setTokenSecretFixer, tokenSecretToVirtual } from '../../../src/rewrite/token-secrets.js';
import { TOKEN_ISSUER } from '../../../src/auth/tokens.js';
import { NamespaceMap } from '../../../src/rewrite/namespace-translator.js';
import { bodyToVirtual } from '../../../src/rewrite/object-rewrite.js';

const map = new NamespaceMap('acme', new Map([['app', 'acme-app']]));
const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: unknown) => Buffer.from(String(s), 'base64').toString();

async function jwt(iss: string, days: number): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(iss)
    .setSubject('system:serviceaccount:app:robot')
    .setExpirationTime(Math.floor(Date.now() / 1000) + days * 86400)
    .sign(privateKey);
}

const secret = (token: string | undefined, type = 'kubernetes.io/service-account-token') => ({
  apiVersion: 'v1',
  kind: 'Secret',
  type,
  metadata: { name: 'robot-token', namespace: 'acme-app' },
  data: { namespace: b64('acme-app'), 'ca.crt': b64('x'), ...(token ? { token: b64(token) } : {}) },
});

afterEach(() => setTokenSecretFixer(undefined));

describe('legacy token Secrets', () => {
  it('drop a host token, name the virtual namespace and ask for a kplex token', async () => {
    const asked: string[] = [];
    setTokenSecretFixer((t, ns, name) => asked.push(`${t}/${ns}/${name}`));
    const s = secret(await jwt('https://kubernetes.default.svc.cluster.local', 365));
    bodyToVirtual(s, map);
    expect(s.data.token).toBeUndefined();
    expect(unb64(s.data.namespace)).toBe('app');
    expect(s.metadata.namespace).toBe('app');
    expect(asked).toEqual(['acme/acme-app/robot-token']);
  });

  it('keep a current kplex token, and ask for a new one near its expiry', async () => {
    const asked: string[] = [];
    setTokenSecretFixer((t, ns, name) => asked.push(name));
    const current = secret(await jwt(TOKEN_ISSUER, 300));
    tokenSecretToVirtual(current, map);
    expect(current.data.token).toBeDefined();
    expect(asked).toEqual([]);
    const old = secret(await jwt(TOKEN_ISSUER, 5));
    tokenSecretToVirtual(old, map);
    expect(old.data.token).toBeDefined();
    expect(asked).toEqual(['robot-token']);
  });

  it('leave other Secrets and values the tenant wrote alone', () => {
    const opaque = secret('not-a-jwt', 'Opaque');
    bodyToVirtual(opaque, map);
    expect(unb64(opaque.data.token)).toBe('not-a-jwt');
    const own = secret('not-a-jwt');
    tokenSecretToVirtual(own, map);
    expect(unb64(own.data.token)).toBe('not-a-jwt');
  });

  it('in lists too', async () => {
    const list = {
      kind: 'SecretList',
      apiVersion: 'v1',
      metadata: {},
      items: [secret(await jwt('https://host', 365))],
    };
    bodyToVirtual(list, map);
    expect(list.items[0]!.data.token).toBeUndefined();
    expect(unb64(list.items[0]!.data.namespace)).toBe('app');
  });
});
