// Authentication end to end: tenant-bound kplex tokens, host credentials refused, the 401 body,
// `kubectl create token` (a kplex-signed ServiceAccount token of the virtual namespace), key
// rotation through the host Secret, and what the bootstrap policy costs a new tenant (nothing).
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { kplexCli, startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const whoami = (kc: string, extra: string[] = []) =>
  JSON.parse(kubectlOk(kc, ['auth', 'whoami', '-o', 'json', ...extra])) as {
    status: { userInfo: { username: string; groups: string[] } };
  };

/** A copy of a tenant kubeconfig with its credential replaced. */
function withUser(kc: string, file: string, user: string): string {
  const text = readFileSync(kc, 'utf8').replace(
    /users:\n- name: (\S+)\n {2}user:\n( {4}.*\n)+/,
    `users:\n- name: $1\n  user:\n${user}`,
  );
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('identity: authentication', () => {
  const host = inject('host');
  let env: TenantEnv;
  let a: string;
  let b: string;

  beforeAll(async () => {
    env = await startTenantEnv(host);
    a = await env.tenant('authn-a');
    b = await env.tenant('authn-b');
  }, 120_000);
  afterAll(async () => env?.close());

  it('refuses a token minted for tenant A on tenant B', () => {
    const tokenA = /token: (\S+)/.exec(readFileSync(a, 'utf8'))![1]!;
    const bWithA = withUser(b, path.join(env.dataDir, 'b-with-a.kubeconfig'), `    token: ${tokenA}\n`);
    const r = kubectl(bWithA, ['get', 'namespaces']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('You must be logged in to the server');
    expect(kubectl(a, ['get', 'namespaces']).code).toBe(0);
  });

  it('answers a request without credential with the apiserver 401 body', async () => {
    const server = /server: (\S+)/.exec(readFileSync(a, 'utf8'))![1]!;
    const r = await rawGet(`${server}/api/v1/namespaces`);
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });

  it('refuses host credentials: the host admin certificate and a host ServiceAccount token', async () => {
    const hostKc = readFileSync(host.kubeconfig, 'utf8');
    const cert = /client-certificate-data: (\S+)/.exec(hostKc)?.[1];
    const key = /client-key-data: (\S+)/.exec(hostKc)?.[1];
    if (cert && key) {
      const withCert = withUser(
        a,
        path.join(env.dataDir, 'a-host-cert.kubeconfig'),
        `    client-certificate-data: ${cert}\n    client-key-data: ${key}\n`,
      );
      expect(kubectl(withCert, ['get', 'namespaces']).stderr).toContain(
        'You must be logged in to the server',
      );
    }
    const hostToken = kubectlOk(host.kubeconfig, ['create', 'token', 'default', '-n', 'kube-system']).trim();
    // The host itself accepts it...
    const server = /server: (\S+)/.exec(hostKc)![1]!;
    expect((await rawGet(`${server}/api`, { authorization: `Bearer ${hostToken}` })).status).toBe(200);
    // ...kplex does not: kube-system on the host is no tenant's namespace.
    const withHostToken = withUser(
      a,
      path.join(env.dataDir, 'a-host-token.kubeconfig'),
      `    token: ${hostToken}\n`,
    );
    expect(kubectl(withHostToken, ['get', 'namespaces']).stderr).toContain(
      'You must be logged in to the server',
    );
  });

  it('accepts `kubectl create token` as the tenant service account', async () => {
    kubectlOk(a, ['create', 'namespace', 'app']);
    const deadline = Date.now() + 30_000;
    while (kubectl(a, ['get', 'serviceaccount', 'default', '-n', 'app']).code !== 0) {
      if (Date.now() > deadline) throw new Error('serviceaccount app/default did not appear');
      await new Promise((r) => setTimeout(r, 200));
    }
    const token = kubectlOk(a, ['create', 'token', 'default', '-n', 'app']).trim();
    const sa = withUser(a, path.join(env.dataDir, 'a-sa.kubeconfig'), `    token: ${token}\n`);
    expect(whoami(sa).status.userInfo).toMatchObject({
      username: 'system:serviceaccount:app:default',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:app', 'system:authenticated'],
    });
    // The service account has only what the tenant's RBAC grants it.
    expect(kubectl(sa, ['get', 'configmaps', '-n', 'app']).stderr).toContain(
      'User "system:serviceaccount:app:default" cannot list resource "configmaps"',
    );
    kubectlOk(a, [
      'create',
      'rolebinding',
      'sa-view',
      '--clusterrole=view',
      '--serviceaccount=app:default',
      '-n',
      'app',
    ]);
    expect(kubectl(sa, ['get', 'configmaps', '-n', 'app']).code).toBe(0);
    // The same token is nobody on tenant B.
    const onB = withUser(b, path.join(env.dataDir, 'b-sa.kubeconfig'), `    token: ${token}\n`);
    expect(kubectl(onB, ['auth', 'whoami']).stderr).toContain('Unauthorized');
  });

  it('rotates signing keys through the host Secret without refusing older tokens', () => {
    const mint = () =>
      kplexCli([
        'kubeconfig',
        'authn-a',
        '--host-kubeconfig',
        host.kubeconfig,
        '--data-dir',
        env.dataDir,
        '--server',
        env.kplex.url,
        '--user',
        'rot',
      ]);
    const before = path.join(env.dataDir, 'rot-1.kubeconfig');
    writeFileSync(before, mint());
    expect(whoami(before).status.userInfo.username).toBe('rot');
    expect(kplexCli(['keys', 'rotate', '--host-kubeconfig', host.kubeconfig])).toMatch(
      /signing key \S+ added/,
    );
    const after = path.join(env.dataDir, 'rot-2.kubeconfig');
    writeFileSync(after, mint());
    expect(/token: (\S+)/.exec(readFileSync(after, 'utf8'))![1]).not.toBe(
      /token: (\S+)/.exec(readFileSync(before, 'utf8'))![1],
    );
    expect(whoami(after).status.userInfo.username).toBe('rot');
    expect(whoami(before).status.userInfo.username).toBe('rot');
  });

  it('creates tenants without writing the bootstrap policy (time and size measured)', async () => {
    const t0 = Date.now();
    const kc = await env.tenant('authn-fresh');
    const created = Date.now() - t0;
    expect(
      kubectlOk(kc, ['get', 'clusterroles', '-o', 'name']).split('\n').filter(Boolean).length,
    ).toBeGreaterThanOrEqual(64);
    // Stores are keyed by the Tenant's UID.
    const uid = kubectlOk(host.kubeconfig, [
      'get',
      'tenants.kplex.io',
      'authn-fresh',
      '-o',
      'jsonpath={.metadata.uid}',
    ]).trim();
    const db = path.join(env.dataDir, 'tenants', `${uid}.db`);
    const size = ['', '-wal']
      .map((s) => {
        try {
          return statSync(db + s).size;
        } catch {
          return 0;
        }
      })
      .reduce((x, y) => x + y, 0);
    console.log(
      `[measure] tenant created and served in ${created} ms; tenant DB ${size} bytes (db+wal) with ${64 + 45 + 7 + 7} bootstrap objects visible`,
    );
    expect(size).toBeLessThan(200_000);
  });
});
