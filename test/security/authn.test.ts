// Authentication: unauthenticated requests cost no host call (garbage tokens, forged JWTs, random
// and forged client certificates, unknown tenants), kplex tokens are checked fully (alg, kid,
// claims, expiry, tenant and its UID), kubeconfigs carry only the groups asked for, and every
// ServiceAccount token a tenant is handed is kplex's own: naming the virtual namespace, refused
// by the host, accepted by kplex as that ServiceAccount.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { SignJWT, UnsecuredJWT, decodeJwt, decodeProtectedHeader, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { createCA, issueCert } from '../../src/pki/certs.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { kplexCli } from '../helpers/tenant-env.js';
import { attackerLoad } from './attacker.js';
import { attack, expectStatus, rssMiB, securityEnv, victimLatency, type SecurityEnv } from './harness.js';
import type { LoadResult } from './load.js';

const A = 'sec-authn-a';
const B = 'sec-authn-b';
const TENANTS = '/apis/kplex.io/v1alpha1/tenants';
const KPLEX_ISS = 'https://kplex.io/tokens';

interface Raw {
  status: number;
  body: string;
}

/** One request with exactly these credentials (no kubeconfig, no client retries). */
function raw(
  url: string,
  opts: { token?: string; cert?: string; key?: string; method?: string; body?: string } = {},
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body) headers['content-type'] = 'application/json';
    const req = request(
      url,
      { method: opts.method ?? 'GET', rejectUnauthorized: false, headers, cert: opts.cert, key: opts.key },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const tokenOf = (kc: string): string => /token: (\S+)/.exec(readFileSync(kc, 'utf8'))![1]!;

describe('security: authentication', () => {
  let s: SecurityEnv;
  let base: string; // tenant A's endpoint
  let hostServer: string;

  /** Requests the host served since the last call, by `verb resource` (the host apiserver's own metric). */
  async function hostCounts(): Promise<Map<string, number>> {
    const r = await s.hostApi.request<string>('GET', '/metrics');
    const m = new Map<string, number>();
    for (const line of String(r.body).split('\n')) {
      if (!line.startsWith('apiserver_request_total{')) continue;
      const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      const key = `${labels.verb} ${labels.resource}`;
      m.set(key, (m.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
    return m;
  }
  /** How many `verb resource` requests the host served while `fn` ran. */
  async function hostCalls(keys: string[], fn: () => Promise<void>): Promise<Record<string, number>> {
    const before = await hostCounts();
    await fn();
    const after = await hostCounts();
    return Object.fromEntries(keys.map((k) => [k, (after.get(k) ?? 0) - (before.get(k) ?? 0)]));
  }

  const withToken = (kc: string, name: string, token: string): string => {
    const text = readFileSync(kc, 'utf8').replace(/token: \S+/, `token: ${token}`);
    const file = path.join(s.env.dataDir, name);
    writeFileSync(file, text, { mode: 0o600 });
    return file;
  };

  beforeAll(async () => {
    s = await securityEnv([A, B]);
    base = /server: (\S+)/.exec(readFileSync(s.kc[A]!, 'utf8'))![1]!;
    hostServer = /server: (\S+)/.exec(readFileSync(s.host.kubeconfig, 'utf8'))![1]!;
    // The victim of the floods below, warm (its first request builds its runtime).
    expect((await s.api[B]!.request('GET', '/api/v1/namespaces/default')).status).toBe(200);
    kubectlOk(s.kc[A]!, ['create', 'namespace', 'app']);
    kubectlOk(s.kc[A]!, ['create', 'serviceaccount', 'robot', '-n', 'app']);
    kubectlOk(s.kc[A]!, [
      'create',
      'rolebinding',
      'robot-view',
      '--clusterrole=view',
      '--serviceaccount=app:robot',
      '-n',
      'app',
    ]);
  });
  afterAll(async () => s?.close());

  attack('authn', '200 garbage bearer tokens: 401 each and not one host TokenReview', async () => {
    const calls = await hostCalls(['POST tokenreviews'], async () => {
      for (let i = 0; i < 200; i++) {
        const r = await raw(`${base}/api/v1/namespaces`, { token: randomBytes(24).toString('base64url') });
        expect(r.status).toBe(401);
      }
    });
    expect(calls['POST tokenreviews']).toBe(0);
  });

  attack(
    'authn',
    'well-formed JWTs of another issuer or no ServiceAccount: no host TokenReview',
    async () => {
      const { privateKey } = await generateKeyPair('RS256');
      const calls = await hostCalls(['POST tokenreviews'], async () => {
        for (let i = 0; i < 50; i++) {
          const t = await new SignJWT({})
            .setProtectedHeader({ alg: 'RS256', kid: `k${i}` })
            .setIssuer(i % 2 ? 'https://evil.example' : 'https://kubernetes.default.svc.cluster.local')
            .setSubject(i % 2 ? 'system:serviceaccount:x:y' : 'admin')
            .setExpirationTime('1h')
            .sign(privateKey);
          expect((await raw(`${base}/api/v1/namespaces`, { token: t })).status).toBe(401);
        }
      });
      expect(calls['POST tokenreviews']).toBe(0);
    },
  );

  attack(
    'authn',
    "forged host ServiceAccount JWTs for the tenant's own host namespace (host issuer, bad signature): no TokenReview",
    async () => {
      const real = kubectlOk(s.host.kubeconfig, ['create', 'token', 'default', '-n', 'default']).trim();
      const iss = decodeJwt(real).iss!;
      const hostNs = (
        await s.hostApi.request<{ items: { metadata: { name: string; labels: Record<string, string> } }[] }>(
          'GET',
          `/api/v1/namespaces?labelSelector=${encodeURIComponent(`kplex.io/tenant=${A},kplex.io/namespace=app`)}`,
        )
      ).body.items[0]!.metadata.name;
      const { privateKey } = await generateKeyPair('RS256');
      const calls = await hostCalls(['POST tokenreviews'], async () => {
        for (let i = 0; i < 50; i++) {
          const t = await new SignJWT({ jti: String(i) })
            .setProtectedHeader({ alg: 'RS256', kid: decodeProtectedHeader(real).kid ?? 'x' })
            .setIssuer(iss)
            .setSubject(`system:serviceaccount:${hostNs}:robot`)
            .setAudience(decodeJwt(real).aud as string[])
            .setExpirationTime('1h')
            .sign(privateKey);
          expect((await raw(`${base}/api/v1/namespaces`, { token: t })).status).toBe(401);
        }
      });
      expect(calls['POST tokenreviews']).toBe(0);
    },
  );

  attack(
    'authn',
    "a pod's host ServiceAccount token works only on its own tenant, as the virtual account",
    async () => {
      const hostNs = (
        await s.hostApi.request<{ items: { metadata: { name: string } }[] }>(
          'GET',
          `/api/v1/namespaces?labelSelector=${encodeURIComponent(`kplex.io/tenant=${A},kplex.io/namespace=app`)}`,
        )
      ).body.items[0]!.metadata.name;
      const t = kubectlOk(s.host.kubeconfig, ['create', 'token', 'robot', '-n', hostNs]).trim();
      const who = await raw(`${base}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
        token: t,
        method: 'POST',
        body: '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}',
      });
      expect(who.status).toBe(201);
      expect(
        (JSON.parse(who.body) as { status: { userInfo: { username: string } } }).status.userInfo.username,
      ).toBe('system:serviceaccount:app:robot');
      const baseB = base.replace(`/clusters/${A}`, `/clusters/${B}`);
      expect((await raw(`${baseB}/api/v1/namespaces`, { token: t })).status).toBe(401);
    },
  );

  attack('authn', 'random client certificates: 401 and no host Secret read per certificate', async () => {
    const ca = await createCA('random');
    const certs = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        issueCert(ca, { commonName: `u${i}`, organizations: ['system:masters'], client: true }),
      ),
    );
    const calls = await hostCalls(['GET secrets'], async () => {
      for (let i = 0; i < 100; i++) {
        const c = certs[i % certs.length]!;
        expect((await raw(`${base}/api/v1/namespaces`, { cert: c.cert, key: c.key })).status).toBe(401);
      }
    });
    // kplex's periodic key reload may fall in the window; one GET per certificate would be 100.
    expect(calls['GET secrets']).toBeLessThanOrEqual(1);
  });

  attack(
    'authn',
    "certificates naming the tenant CA's subject but signed by another key: at most one host read, then cached",
    async () => {
      const uid = (await s.hostApi.request<{ metadata: { uid: string } }>('GET', `${TENANTS}/${A}`)).body
        .metadata.uid;
      const forger = await createCA(`kplex-client-ca-${uid}`);
      const forged = await issueCert(forger, {
        commonName: 'mallory',
        organizations: ['system:masters'],
        client: true,
      });
      const calls = await hostCalls(['GET secrets'], async () => {
        for (let i = 0; i < 50; i++)
          expect(
            (await raw(`${base}/api/v1/namespaces`, { cert: forged.cert, key: forged.key })).status,
          ).toBe(401);
      });
      expect(calls['GET secrets']).toBeLessThanOrEqual(2);
    },
  );

  attack('authn', 'unknown and reserved tenant paths: 401 without any host call', async () => {
    const ca = await createCA('random');
    const c = await issueCert(ca, { commonName: 'u', client: true });
    const origin = new URL(base).origin;
    const calls = await hostCalls(['POST tokenreviews', 'GET secrets'], async () => {
      for (let i = 0; i < 30; i++) {
        const tenant = ['kplex', 'kube-system', `ghost-${i}`, 'a..b', 'KPLEX'][i % 5]!;
        const r = await raw(`${origin}/clusters/${tenant}/api/v1/namespaces`, {
          token: tokenOf(s.kc[A]!),
          cert: c.cert,
          key: c.key,
        });
        expect(r.status).toBe(401);
      }
    });
    expect(calls['POST tokenreviews']).toBe(0);
    expect(calls['GET secrets']).toBeLessThanOrEqual(1);
  });

  /** A copy of tenant A's kubeconfig whose only credential is `user` (kubeconfig `user:` lines). */
  const credentialKubeconfig = (name: string, user: string): string => {
    const text = readFileSync(s.kc[A]!, 'utf8').replace(/ {4}token: \S+\n/, user);
    const file = path.join(s.env.dataDir, name);
    writeFileSync(file, text, { mode: 0o600 });
    return file;
  };

  /** CPU seconds kplex used (user + system), from /proc. */
  const kplexCpu = (): number => {
    const f = readFileSync(`/proc/${s.kplexPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  };
  /** Runs `fn` and logs kplex's CPU use (cores) over it. */
  const withCpu = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const c0 = kplexCpu();
    const t0 = performance.now();
    const out = await fn();
    const cores = (kplexCpu() - c0) / ((performance.now() - t0) / 1000);
    process.stderr.write(`[security] kplex CPU during ${what}: ${cores.toFixed(2)} cores\n`);
    return out;
  };

  attack('authn', 'the victim probe without an attack (the baseline the floods compare with)', async () => {
    const lat = await victimLatency(
      s.api[B]!,
      '/api/v1/namespaces/default',
      () => new Promise((r) => setTimeout(r, 1500)),
    );
    expect(lat.errors).toBe(0);
  });

  attack(
    'authn',
    'a flood of garbage and forged tokens does not slow another tenant (victim p99 <= 100 ms, no host call)',
    async () => {
      const uid = (await s.hostApi.request<{ metadata: { uid: string } }>('GET', `${TENANTS}/${A}`)).body
        .metadata.uid;
      const { privateKey } = await generateKeyPair('ES256');
      const forged = await new SignJWT({
        'kplex.io/tenant': A,
        'kplex.io/tenant-uid': uid,
        'kplex.io/groups': ['system:masters'],
      })
        .setProtectedHeader({ alg: 'ES256', kid: 'forged' })
        .setIssuer(KPLEX_ISS)
        .setSubject('admin')
        .setAudience(`kplex:tenant:${A}`)
        .setExpirationTime('1h')
        .sign(privateKey);
      const garbage = credentialKubeconfig(
        'flood-garbage.kubeconfig',
        `    token: ${randomBytes(32).toString('base64url')}\n`,
      );
      const forgedKc = credentialKubeconfig('flood-forged.kubeconfig', `    token: ${forged}\n`);
      const requests = [{ method: 'GET', path: '/api/v1/namespaces' }];
      let results: LoadResult[] = [];
      let lat!: Awaited<ReturnType<typeof victimLatency>>;
      const calls = await hostCalls(['POST tokenreviews'], async () => {
        lat = await withCpu('the token flood', () =>
          victimLatency(s.api[B]!, '/api/v1/namespaces/default', async () => {
            results = await Promise.all([
              attackerLoad({ kubeconfig: garbage, clients: 2, n: 3_000, concurrency: 32, requests }),
              attackerLoad({ kubeconfig: forgedKc, clients: 2, n: 1_500, concurrency: 32, requests }),
            ]);
          }),
        );
      });
      for (const r of results) expect(Object.keys(r.statuses)).toEqual(['401']);
      expect(calls['POST tokenreviews']).toBe(0);
      expect(lat.errors).toBe(0);
      expect(lat.p99).toBeLessThanOrEqual(100);
      expect(rssMiB(s.kplexPid)).toBeLessThan(1024);
    },
  );

  attack(
    'authn',
    'a flood of client certificates does not slow another tenant (victim p99 <= 100 ms)',
    async () => {
      const ca = await createCA('flood');
      const kcs = await Promise.all(
        [0, 1, 2].map(async (i) => {
          const c = await issueCert(ca, {
            commonName: `f${i}`,
            organizations: ['system:masters'],
            client: true,
          });
          const b64 = (pem: string) => Buffer.from(pem).toString('base64');
          return credentialKubeconfig(
            `flood-cert-${i}.kubeconfig`,
            `    client-certificate-data: ${b64(c.cert)}\n    client-key-data: ${b64(c.key)}\n`,
          );
        }),
      );
      const requests = [{ method: 'GET', path: '/api/v1/namespaces' }];
      let results: LoadResult[] = [];
      let lat!: Awaited<ReturnType<typeof victimLatency>>;
      const calls = await hostCalls(['GET secrets'], async () => {
        lat = await withCpu('the certificate flood', () =>
          victimLatency(s.api[B]!, '/api/v1/namespaces/default', async () => {
            results = await Promise.all(
              kcs.map((kubeconfig) =>
                attackerLoad({ kubeconfig, clients: 2, n: 1_000, concurrency: 32, requests }),
              ),
            );
          }),
        );
      });
      for (const r of results) expect(Object.keys(r.statuses)).toEqual(['401']);
      expect(calls['GET secrets']).toBeLessThanOrEqual(1);
      expect(lat.errors).toBe(0);
      expect(lat.p99).toBeLessThanOrEqual(100);
    },
  );

  attack('authn', "tenant A's token on tenant B: 401", async () => {
    const r = kubectl(withToken(s.kc[B]!, 'b-with-a.kubeconfig', tokenOf(s.kc[A]!)), ['get', 'namespaces']);
    expect(r.stderr).toContain('You must be logged in to the server');
  });

  attack('authn', 'alg=none token with kplex claims: 401', async () => {
    const uid = (await s.hostApi.request<{ metadata: { uid: string } }>('GET', `${TENANTS}/${A}`)).body
      .metadata.uid;
    const t = new UnsecuredJWT({
      'kplex.io/tenant': A,
      'kplex.io/tenant-uid': uid,
      'kplex.io/groups': ['system:masters'],
    })
      .setIssuer(KPLEX_ISS)
      .setSubject('admin')
      .setAudience(`kplex:tenant:${A}`)
      .setExpirationTime('1h')
      .encode();
    const r = await raw(`${base}/api/v1/namespaces`, { token: t });
    expectStatus({ status: r.status, body: JSON.parse(r.body) as unknown }, 401, 'Unauthorized');
  });

  attack(
    'authn',
    'kplex-issuer token signed by an unknown key (wrong kid): 401, at most one key reload',
    async () => {
      const uid = (await s.hostApi.request<{ metadata: { uid: string } }>('GET', `${TENANTS}/${A}`)).body
        .metadata.uid;
      const { privateKey } = await generateKeyPair('ES256');
      const calls = await hostCalls(['GET secrets', 'POST tokenreviews'], async () => {
        for (let i = 0; i < 30; i++) {
          const t = await new SignJWT({
            'kplex.io/tenant': A,
            'kplex.io/tenant-uid': uid,
            'kplex.io/groups': ['system:masters'],
          })
            .setProtectedHeader({ alg: 'ES256', kid: `forged-${i}` })
            .setIssuer(KPLEX_ISS)
            .setSubject('admin')
            .setAudience(`kplex:tenant:${A}`)
            .setExpirationTime('1h')
            .sign(privateKey);
          expect((await raw(`${base}/api/v1/namespaces`, { token: t })).status).toBe(401);
        }
      });
      expect(calls['POST tokenreviews']).toBe(0);
      expect(calls['GET secrets']).toBeLessThanOrEqual(2);
    },
  );

  attack(
    'authn',
    'a kplex token with tampered claims (groups, tenant, uid) keeps its signature only for the original: 401',
    async () => {
      const t = tokenOf(s.kc[A]!);
      const [h, p, sig] = t.split('.');
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
      for (const change of [
        { 'kplex.io/groups': ['system:masters', 'x'] },
        { sub: 'root' },
        { 'kplex.io/tenant': B, aud: `kplex:tenant:${B}` },
        { exp: 9999999999 },
      ]) {
        const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, ...change })).toString('base64url')}.${sig}`;
        expect((await raw(`${base}/api/v1/namespaces`, { token: forged })).status).toBe(401);
      }
      expect((await raw(`${base}/api/v1/namespaces`, { token: t })).status).toBe(200);
    },
  );

  attack('authn', 'an expired kplex token: 401', async () => {
    const kc = kplexCli([
      'kubeconfig',
      A,
      '--data-dir',
      s.env.dataDir,
      '--host-kubeconfig',
      s.host.kubeconfig,
      '--server',
      s.env.kplex.url,
      '--group',
      'system:masters',
      '--ttl',
      '1s',
    ]);
    const t = /token: (\S+)/.exec(kc)![1]!;
    await new Promise((r) => setTimeout(r, 2100));
    expect((await raw(`${base}/api/v1/namespaces`, { token: t })).status).toBe(401);
  });

  attack(
    'authn',
    'kplex kubeconfig tokens expire: 24h by default, --ttl honoured, no unbounded token',
    async () => {
      const d = decodeJwt(tokenOf(s.kc[A]!));
      expect(d.exp! - d.iat!).toBe(24 * 3600);
      const kc = kplexCli([
        'kubeconfig',
        A,
        '--data-dir',
        s.env.dataDir,
        '--host-kubeconfig',
        s.host.kubeconfig,
        '--server',
        s.env.kplex.url,
        '--ttl',
        '90m',
      ]);
      const t = decodeJwt(/token: (\S+)/.exec(kc)![1]!);
      expect(t.exp! - t.iat!).toBe(5400);
      expect(() => kplexCli(['kubeconfig', A, '--host-kubeconfig', s.host.kubeconfig, '--ttl', '0'])).toThrow(
        /every credential expires/,
      );
      expect(kplexCli(['kubeconfig', '--help'])).toContain('default 24h');
    },
  );

  attack(
    'authn',
    'kplex kubeconfig --user without --group gives no groups (not system:masters)',
    async () => {
      const kc = kplexCli([
        'kubeconfig',
        A,
        '--data-dir',
        s.env.dataDir,
        '--host-kubeconfig',
        s.host.kubeconfig,
        '--server',
        s.env.kplex.url,
        '--user',
        'nobody',
      ]);
      const file = path.join(s.env.dataDir, 'nobody.kubeconfig');
      writeFileSync(file, kc, { mode: 0o600 });
      expect(decodeJwt(/token: (\S+)/.exec(kc)![1]!)['kplex.io/groups']).toEqual([]);
      const who = JSON.parse(kubectlOk(file, ['auth', 'whoami', '-o', 'json'])) as {
        status: { userInfo: { groups: string[] } };
      };
      expect(who.status.userInfo.groups).toEqual(['system:authenticated']);
      expect(kubectl(file, ['get', 'secrets', '-A']).stderr).toContain('Forbidden');
    },
  );

  attack(
    'authn',
    "kplex's TokenReview of garbage answers unauthenticated without asking the host",
    async () => {
      const api = s.api[A]!;
      const calls = await hostCalls(['POST tokenreviews'], async () => {
        for (let i = 0; i < 20; i++) {
          const r = await api.request<{ status: { authenticated?: boolean } }>(
            'POST',
            '/apis/authentication.k8s.io/v1/tokenreviews',
            {
              apiVersion: 'authentication.k8s.io/v1',
              kind: 'TokenReview',
              spec: { token: randomBytes(30).toString('hex') },
            },
          );
          expect(r.status).toBe(201);
          expect(r.body.status.authenticated).toBeFalsy();
        }
      });
      expect(calls['POST tokenreviews']).toBe(0);
    },
  );

  describe('ServiceAccount tokens handed to a tenant', () => {
    let saToken: string;

    beforeAll(() => {
      saToken = kubectlOk(s.kc[A]!, ['create', 'token', 'robot', '-n', 'app']).trim();
    });

    attack('authn', '`kubectl create token` returns a kplex token naming the virtual namespace', async () => {
      const c = decodeJwt(saToken);
      expect(c.iss).toBe(KPLEX_ISS);
      expect(c.sub).toBe('system:serviceaccount:app:robot');
      expect(c.aud).toEqual([`kplex:tenant:${A}`]);
      expect((c['kubernetes.io'] as { namespace: string }).namespace).toBe('app');
      expect(c.exp! - c.iat!).toBe(3600);
    });

    attack(
      'authn',
      'the host apiserver refuses a TokenRequest token (and TokenReview says unauthenticated)',
      async () => {
        expect((await raw(`${hostServer}/api`, { token: saToken })).status).toBe(401);
        const review = await s.hostApi.request<{ status: { authenticated?: boolean } }>(
          'POST',
          '/apis/authentication.k8s.io/v1/tokenreviews',
          {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            spec: { token: saToken },
          },
        );
        expect(review.body.status.authenticated).toBeFalsy();
      },
    );

    attack(
      'authn',
      'kplex accepts the TokenRequest token as that ServiceAccount, with its RBAC only',
      async () => {
        const file = withToken(s.kc[A]!, 'robot.kubeconfig', saToken);
        const who = JSON.parse(kubectlOk(file, ['auth', 'whoami', '-o', 'json'])) as {
          status: { userInfo: { username: string; groups: string[] } };
        };
        expect(who.status.userInfo.username).toBe('system:serviceaccount:app:robot');
        expect(who.status.userInfo.groups).toEqual([
          'system:serviceaccounts',
          'system:serviceaccounts:app',
          'system:authenticated',
        ]);
        expect(kubectl(file, ['get', 'configmaps', '-n', 'app']).code).toBe(0);
        expect(kubectl(file, ['get', 'secrets', '-n', 'app']).stderr).toContain('Forbidden');
        expect(
          kubectl(withToken(s.kc[B]!, 'robot-on-b.kubeconfig', saToken), ['get', 'namespaces']).stderr,
        ).toContain('You must be logged in');
      },
    );

    attack(
      'authn',
      'TokenRequest validation as the apiserver: short expiry 422, wrong pod 400, uid mismatch 409, unknown account 404',
      async () => {
        const api = s.api[A]!;
        const tr = (spec: object, sa = 'robot') =>
          api.request('POST', `/api/v1/namespaces/app/serviceaccounts/${sa}/token`, {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec,
          });
        const short = await tr({ expirationSeconds: 60 });
        expectStatus(short, 422, 'Invalid');
        expect((short.body as { message: string }).message).toContain(
          'may not specify a duration less than 10 minutes',
        );
        expectStatus(await tr({}, 'nobody'), 404, 'NotFound');
        kubectlOk(s.kc[A]!, ['run', 'p', '-n', 'app', '--image=busybox', '--restart=Never']);
        const wrongPod = await tr({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p' } });
        expectStatus(wrongPod, 400, 'BadRequest');
        expect((wrongPod.body as { message: string }).message).toBe(
          'cannot bind token for serviceaccount "robot" to pod running with different serviceaccount name.',
        );
        kubectlOk(s.kc[A]!, ['create', 'secret', 'generic', 'bind-me', '-n', 'app']);
        expectStatus(
          await tr({
            boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 'bind-me', uid: 'not-the-uid' },
          }),
          409,
          'Conflict',
        );
        expectStatus(
          await tr({ boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'x' } }),
          400,
          'BadRequest',
        );
      },
    );

    attack('authn', 'a token bound to a Secret stops working when the Secret is deleted', async () => {
      kubectlOk(s.kc[A]!, ['create', 'secret', 'generic', 'bound', '-n', 'app']);
      const t = kubectlOk(s.kc[A]!, [
        'create',
        'token',
        'robot',
        '-n',
        'app',
        '--bound-object-kind=Secret',
        '--bound-object-name=bound',
      ]).trim();
      expect((await raw(`${base}/api/v1/namespaces/app/configmaps`, { token: t })).status).toBe(200);
      kubectlOk(s.kc[A]!, ['delete', 'secret', 'bound', '-n', 'app']);
      await new Promise((r) => setTimeout(r, 10_500)); // the validity cache's lifetime
      expect((await raw(`${base}/api/v1/namespaces/app/configmaps`, { token: t })).status).toBe(401);
    });

    attack('authn', "a deleted ServiceAccount's token is refused", async () => {
      kubectlOk(s.kc[A]!, ['create', 'serviceaccount', 'temp', '-n', 'app']);
      const t = kubectlOk(s.kc[A]!, ['create', 'token', 'temp', '-n', 'app']).trim();
      expect(
        (
          await raw(`${base}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
            token: t,
            method: 'POST',
            body: '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}',
          })
        ).status,
      ).toBe(201);
      kubectlOk(s.kc[A]!, ['delete', 'serviceaccount', 'temp', '-n', 'app']);
      await new Promise((r) => setTimeout(r, 10_500));
      expect((await raw(`${base}/api/v1/namespaces`, { token: t })).status).toBe(401);
    });

    attack(
      'authn',
      'legacy token Secrets name the virtual namespace and hold a kplex token the host refuses',
      async () => {
        kubectlOk(
          s.kc[A]!,
          ['apply', '-f', '-'],
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: {
              name: 'robot-token',
              namespace: 'app',
              annotations: { 'kubernetes.io/service-account.name': 'robot' },
            },
            type: 'kubernetes.io/service-account-token',
          }),
        );
        let data: Record<string, string> = {};
        const end = Date.now() + 30_000;
        while (Date.now() < end) {
          data =
            (
              JSON.parse(
                kubectlOk(s.kc[A]!, ['get', 'secret', 'robot-token', '-n', 'app', '-o', 'json']),
              ) as { data?: Record<string, string> }
            ).data ?? {};
          if (data.token) break;
          await new Promise((r) => setTimeout(r, 300));
        }
        expect(Buffer.from(data.namespace ?? '', 'base64').toString()).toBe('app');
        const token = Buffer.from(data.token ?? '', 'base64').toString();
        expect(decodeJwt(token).iss).toBe(KPLEX_ISS);
        expect(decodeJwt(token).sub).toBe('system:serviceaccount:app:robot');
        expect((await raw(`${hostServer}/api`, { token })).status).toBe(401);
        expect((await raw(`${base}/api/v1/namespaces/app/configmaps`, { token })).status).toBe(200);
        // Listing secrets (any form) never shows a host token either.
        const list = kubectlOk(s.kc[A]!, ['get', 'secrets', '-n', 'app', '-o', 'json']);
        for (const m of list.matchAll(/"token": "([^"]+)"/g))
          expect(decodeJwt(Buffer.from(m[1]!, 'base64').toString()).iss).toBe(KPLEX_ISS);
      },
    );
  });
});
