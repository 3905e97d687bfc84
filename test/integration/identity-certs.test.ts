// Client-certificate authentication end to end with the real kubectl: `kplex kubeconfig
// --client-cert` gives a kubeconfig whose certificate (CN=user, O=groups) is signed by the
// tenant's own CA; it works on that tenant only. Another tenant's, an expired, a foreign-CA and
// the host admin's certificate are all 401.
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FileClientCAStore } from '../../src/auth/client-ca-store.js';
import { createCA, issueCert, loadCA, type KeyPairPem } from '../../src/pki/certs.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { kplexCli, startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** A copy of a tenant kubeconfig whose user is the given certificate and key. */
function withCert(kc: string, file: string, pair: KeyPairPem): string {
  const text = readFileSync(kc, 'utf8').replace(
    /users:\n- name: (\S+)\n {2}user:\n( {4}.*\n)+/,
    `users:\n- name: $1\n  user:\n    client-certificate-data: ${b64(pair.cert)}\n    client-key-data: ${b64(pair.key)}\n`,
  );
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

function certOf(kc: string): KeyPairPem {
  const text = readFileSync(kc, 'utf8');
  const cert = /client-certificate-data: (\S+)/.exec(text)?.[1];
  const key = /client-key-data: (\S+)/.exec(text)?.[1];
  if (!cert || !key) throw new Error(`${kc} carries no client certificate`);
  return { cert: unb64(cert), key: unb64(key) };
}

const whoami = (kc: string) =>
  JSON.parse(kubectlOk(kc, ['auth', 'whoami', '-o', 'json'])) as {
    status: { userInfo: { username: string; groups: string[] } };
  };

const refused = (kc: string) => {
  const r = kubectl(kc, ['get', 'namespaces']);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('You must be logged in to the server');
};

describe('identity: client certificates', () => {
  const host = inject('host');
  let env: TenantEnv;
  let a: string; // token kubeconfig of tenant A
  let b: string; // token kubeconfig of tenant B
  let certA: string; // certificate kubeconfig of tenant A

  /** Credentials name the Tenant's UID; given here, the data dir's CA store is used (no host). */
  const uidOf = (tenant: string) =>
    kubectlOk(host.kubeconfig, ['get', 'tenants.kplex.io', tenant, '-o', 'jsonpath={.metadata.uid}']).trim();
  const certKubeconfig = (tenant: string, user: string, groups: string[], extra: string[] = []) => {
    const kc = kplexCli([
      'kubeconfig',
      tenant,
      '--client-cert',
      '--data-dir',
      env.dataDir,
      '--tenant-uid',
      uidOf(tenant),
      '--server',
      env.kplex.url,
      '--user',
      user,
      ...groups.flatMap((g) => ['--group', g]),
      ...extra,
    ]);
    const file = path.join(env.dataDir, `${tenant}-${user}-cert.kubeconfig`);
    writeFileSync(file, kc, { mode: 0o600 });
    return file;
  };

  beforeAll(async () => {
    env = await startTenantEnv(host);
    a = await env.tenant('certs-a');
    b = await env.tenant('certs-b');
    certA = certKubeconfig('certs-a', 'alice', ['system:masters', 'dev']);
  }, 120_000);
  afterAll(async () => env?.close());

  it('prints a kubeconfig with a certificate instead of a token', () => {
    const text = readFileSync(certA, 'utf8');
    expect(text).toContain('client-certificate-data:');
    expect(text).toContain('client-key-data:');
    expect(text).not.toMatch(/^\s+token:/m);
  });

  it('authenticates the certificate on its tenant: CN is the user, O the groups', () => {
    expect(whoami(certA).status.userInfo).toMatchObject({
      username: 'alice',
      groups: ['system:masters', 'dev', 'system:authenticated'],
    });
    expect(kubectlOk(certA, ['get', 'ns', '-o', 'name'])).toContain('namespace/default');
  });

  it('authorizes the certificate user through the tenant RBAC like any other user', () => {
    const plain = certKubeconfig('certs-a', 'carol', ['dev']);
    expect(whoami(plain).status.userInfo.username).toBe('carol');
    const r = kubectl(plain, ['get', 'ns']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('User "carol" cannot list resource "namespaces"');
  });

  it("refuses tenant A's certificate on tenant B's endpoint with 401", () => {
    refused(withCert(b, path.join(env.dataDir, 'b-with-a-cert.kubeconfig'), certOf(certA)));
    // B has a CA of its own now: A's certificate still proves nothing there
    certKubeconfig('certs-b', 'bob', ['system:masters']);
    refused(withCert(b, path.join(env.dataDir, 'b-with-a-cert-2.kubeconfig'), certOf(certA)));
  });

  it("refuses an expired certificate of the tenant's own CA", async () => {
    const ca = await loadCA((await new FileClientCAStore(env.dataDir).get(uidOf('certs-a')))!);
    const expired = await issueCert(ca, {
      commonName: 'alice',
      organizations: ['system:masters'],
      client: true,
      notBefore: new Date(Date.now() - 2 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    refused(withCert(a, path.join(env.dataDir, 'a-expired.kubeconfig'), expired));
  });

  it('refuses a certificate of a foreign CA with the same subject', async () => {
    const foreign = await createCA(`kplex-client-ca-${uidOf('certs-a')}`);
    const cert = await issueCert(foreign, {
      commonName: 'alice',
      organizations: ['system:masters'],
      client: true,
    });
    refused(withCert(a, path.join(env.dataDir, 'a-foreign.kubeconfig'), cert));
  });

  it("refuses the host admin's certificate as a tenant identity", () => {
    refused(withCert(a, path.join(env.dataDir, 'a-host-admin.kubeconfig'), certOf(host.kubeconfig)));
  });

  it('honours --ttl for the certificate lifetime', () => {
    const short = certKubeconfig('certs-a', 'dave', ['system:masters'], ['--ttl', '1h']);
    const { cert } = certOf(short);
    const left = new Date(new NodeX509Certificate(cert).validTo).getTime() - Date.now();
    expect(left).toBeGreaterThan(50 * 60_000);
    expect(left).toBeLessThan(61 * 60_000);
    expect(whoami(short).status.userInfo.username).toBe('dave');
  });

  it('keeps the tenant CA in a host Secret every replica reads when signed with --host-kubeconfig', () => {
    const kc = kplexCli([
      'kubeconfig',
      'certs-b',
      '--client-cert',
      '--host-kubeconfig',
      host.kubeconfig,
      '--data-dir',
      env.dataDir,
      '--server',
      env.kplex.url,
      '--user',
      'erin',
      '--group',
      'system:masters',
    ]);
    const file = path.join(env.dataDir, 'certs-b-erin-host.kubeconfig');
    writeFileSync(file, kc, { mode: 0o600 });
    const secret = JSON.parse(
      kubectlOk(host.kubeconfig, [
        'get',
        'secret',
        '-n',
        'kplex-system',
        `kplex-client-ca-${uidOf('certs-b')}`,
        '-o',
        'json',
      ]),
    ) as { data: Record<string, string> };
    expect(Object.keys(secret.data).sort()).toEqual(['ca.crt', 'ca.key']);
    expect(whoami(file).status.userInfo.username).toBe('erin');
    // the host Secret's CA is the tenant's only: not trusted on tenant A
    refused(withCert(a, path.join(env.dataDir, 'a-with-b-host-cert.kubeconfig'), certOf(file)));
  });

  it('takes the certificate before the token, and the token when the certificate proves nothing', async () => {
    const token = /token: (\S+)/.exec(readFileSync(a, 'utf8'))![1]!;
    const both = path.join(env.dataDir, 'a-cert-and-token.kubeconfig');
    writeFileSync(
      both,
      readFileSync(certA, 'utf8').replace(/(client-key-data: \S+\n)/, `$1    token: ${token}\n`),
    );
    expect(whoami(both).status.userInfo.username).toBe('alice'); // x509 first, as kube-apiserver
    const foreign = await issueCert(await createCA('elsewhere'), { commonName: 'mallory', client: true });
    const foreignAndToken = withCert(a, path.join(env.dataDir, 'a-foreign-and-token.kubeconfig'), foreign);
    writeFileSync(
      foreignAndToken,
      readFileSync(foreignAndToken, 'utf8').replace(/(client-key-data: \S+\n)/, `$1    token: ${token}\n`),
    );
    expect(whoami(foreignAndToken).status.userInfo.username).toBe('admin');
  });

  it('keeps token clients working next to certificates', () => {
    expect(whoami(a).status.userInfo.username).toBe('admin');
    expect(kubectl(b, ['get', 'ns']).code).toBe(0);
  });
});
