// The pod webhook and the pod tokens it wires in: only the host apiserver may call the webhook
// (its client certificate for webhooks, from the webhook client CA kplex trusts); anyone else,
// tenants included, gets 401 and learns nothing. What the apiserver posts is still hostile input
// (bounded, refused unless a v1 pod review, never a side effect outside kplex namespaces), and a
// pod token is good only for the pod's own tenant: a pod asking for another tenant's audience, or
// for the host's, gets nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { createCA, issueCert, type KeyPairPem } from '../../src/pki/certs.js';
import { startKplex } from '../helpers/kplex-process.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { kplexCli } from '../helpers/tenant-env.js';
import { attack, hostNamespaceOf, securityEnv, type SecurityEnv } from './harness.js';

const A = 'sec-podwh-a';
const B = 'sec-podwh-b';
const PATH = '/kplex/webhooks/v1/pods';

type Any = Record<string, any>;

/** Who posts: the host apiserver (its webhook client certificate), a certificate of another's, or nobody. */
let caller: KeyPairPem | undefined;

function post(
  url: string,
  body: string | Buffer,
  opts: { method?: string; token?: string; as?: KeyPairPem | 'anonymous' } = {},
): Promise<{ status: number; body: string }> {
  const as = opts.as === 'anonymous' ? undefined : (opts.as ?? caller);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const req = request(
      url,
      {
        method: opts.method ?? 'POST',
        rejectUnauthorized: false,
        headers,
        ...(as ? { cert: as.cert, key: as.key } : {}),
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The answer a refused caller gets: the apiserver's 401 Status, naming nothing it asked about. */
function expectRefused(r: { status: number; body: string }, ...secrets: string[]): void {
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
  for (const s of ['kplex.io', 'patch', ...secrets]) expect(r.body).not.toContain(s);
}

function expectRefused403(r: { status: number; body: string }): void {
  expect(r.status).toBe(403);
  expect(JSON.parse(r.body)).toMatchObject({ kind: 'Status', code: 403, reason: 'Forbidden' });
  expect(r.body).not.toContain('patch');
}

const review = (namespace: string, object: unknown, extra: Any = {}) =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u1',
      operation: 'CREATE',
      namespace,
      resource: { group: '', version: 'v1', resource: 'pods' },
      object,
      ...extra,
    },
  });

describe('security: the pod webhook and pod tokens', () => {
  let s: SecurityEnv;
  let origin: string;
  let hostNsA: string;

  const hostNs = (tenant: string, ns: string): Promise<string> => hostNamespaceOf(s.hostApi, tenant, ns);

  beforeAll(async () => {
    s = await securityEnv([A, B]);
    const pki = (f: string) => readFileSync(path.join(s.host.dir, 'pki', f), 'utf8');
    caller = { cert: pki('webhook-client.crt'), key: pki('webhook-client.key') };
    origin = `https://127.0.0.1:${s.env.kplex.port}`;
    kubectlOk(s.kc[A]!, ['create', 'namespace', 'app']);
    kubectlOk(s.kc[A]!, ['create', 'serviceaccount', 'robot', '-n', 'app']);
    hostNsA = await hostNs(A, 'app');
  });
  afterAll(async () => s?.close());

  attack(
    'malformed',
    'webhook: garbage, non-JSON, wrong kinds and a GET are refused with a Status, nothing patched',
    async () => {
      const bodies = [
        '',
        'x',
        '[]',
        'null',
        '{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}',
        review(hostNsA, {}).replace('"pods"', '"secrets"'),
        '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"","resource":{"group":"","version":"v1","resource":"pods"},"object":{}}}',
      ];
      for (const b of bodies) {
        const r = await post(`${origin}${PATH}`, b);
        expect(r.status, b).toBe(400);
        expect(JSON.parse(r.body)).toMatchObject({ kind: 'Status', code: 400 });
      }
      expect((await post(`${origin}${PATH}`, '', { method: 'GET' })).status).toBe(405);
    },
  );

  attack('exhaustion', 'webhook: a 9 MiB review is 413 without being parsed', async () => {
    const r = await post(`${origin}${PATH}`, Buffer.alloc(9 * 1024 * 1024, 0x20));
    expect(r.status).toBe(413);
  });

  attack(
    'namespaces',
    'webhook: a review for a host namespace kplex does not manage gets no patch and makes no ConfigMap',
    async () => {
      for (const ns of ['default', 'kube-system', 'kplex-system', 'no-such-namespace']) {
        const r = await post(
          `${origin}${PATH}`,
          review(ns, { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } }),
        );
        expect(r.status).toBe(200);
        const resp = (JSON.parse(r.body) as Any).response;
        expect(resp).toEqual({ uid: 'u1', allowed: true });
        expect(
          (await s.hostApi.request('GET', `/api/v1/namespaces/${ns}/configmaps/kplex-root-ca.crt`)).status,
        ).toBe(404);
      }
    },
  );

  attack(
    'bodies',
    'webhook: a dry-run review of a tenant namespace patches but writes nothing on the host',
    async () => {
      const fresh = 'dry';
      kubectlOk(s.kc[A]!, ['create', 'namespace', fresh]);
      const ns = await hostNs(A, fresh);
      const r = await post(
        `${origin}${PATH}`,
        review(
          ns,
          { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } },
          { dryRun: true },
        ),
      );
      expect((JSON.parse(r.body) as Any).response.patchType).toBe('JSONPatch');
      expect(
        (await s.hostApi.request('GET', `/api/v1/namespaces/${ns}/configmaps/kplex-root-ca.crt`)).status,
      ).toBe(404);
    },
  );

  attack('authn', "a pod asking for another tenant's audience gets a token no tenant accepts", async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'cross', namespace: 'app' },
      spec: {
        serviceAccountName: 'robot',
        containers: [{ name: 'c', image: 'busybox' }],
        volumes: [
          {
            name: 't',
            projected: { sources: [{ serviceAccountToken: { path: 't', audience: `kplex:tenant:${B}` } }] },
          },
        ],
      },
    };
    kubectlOk(s.kc[A]!, ['create', '-f', '-'], JSON.stringify(pod));
    const host = (await s.hostApi.request<Any>('GET', `/api/v1/namespaces/${hostNsA}/pods/cross`)).body;
    const minted = await s.hostApi.request<Any>(
      'POST',
      `/api/v1/namespaces/${hostNsA}/serviceaccounts/robot/token`,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: [`kplex:tenant:${B}`],
          boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'cross', uid: host.metadata.uid },
        },
      },
    );
    const token = minted.body.status.token as string;
    const body = '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}';
    for (const prefix of ['', `/clusters/${B}`, `/clusters/${A}`]) {
      const r = await post(`${origin}${prefix}/apis/authentication.k8s.io/v1/selfsubjectreviews`, body, {
        token,
        as: 'anonymous',
      });
      expect(r.status, prefix).toBe(401);
    }
  });

  attack('authn', "a pod asking for the host apiserver's audience is refused at admission", async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'hosty', namespace: 'app' },
      spec: {
        containers: [{ name: 'c', image: 'busybox' }],
        volumes: [
          {
            name: 't',
            projected: {
              sources: [
                {
                  serviceAccountToken: {
                    path: 't',
                    audience: 'https://kubernetes.default.svc.cluster.local',
                  },
                },
              ],
            },
          },
        ],
      },
    };
    const r = kubectl(s.kc[A]!, ['create', '-f', '-'], JSON.stringify(pod));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('is reserved by the cluster');
    expect((await s.hostApi.request('GET', `/api/v1/namespaces/${hostNsA}/pods/hosty`)).status).toBe(404);
  });

  attack(
    'leaks',
    "a tenant cannot forge the webhook's annotations: kplex.io/ keys it writes are dropped and re-derived",
    async () => {
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'forge',
          namespace: 'app',
          annotations: { 'kplex.io/namespace': 'kube-system', 'kplex.io/api-host': '6.6.6.6' },
        },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      };
      kubectlOk(s.kc[A]!, ['create', '-f', '-'], JSON.stringify(pod));
      const host = (await s.hostApi.request<Any>('GET', `/api/v1/namespaces/${hostNsA}/pods/forge`)).body;
      expect(host.metadata.annotations['kplex.io/namespace']).toBe('app');
      expect(host.metadata.annotations['kplex.io/api-host']).toBe('127.0.0.1');
      const seen = kubectlOk(s.kc[A]!, ['get', 'pod', 'forge', '-n', 'app', '-o', 'json']);
      expect(seen).not.toContain('kplex.io');
    },
  );
  // Tenant B guesses tenant A's host namespace (host names are often readable) and asks the
  // webhook about it: the apiserver's answer would say A has it and name it ('app').
  const probe = () =>
    review(
      hostNsA,
      { metadata: { name: 'probe' }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      { dryRun: true },
    );

  attack(
    'authn',
    "webhook: the host apiserver's answer about a tenant namespace names it (the control)",
    async () => {
      const r = await post(`${origin}${PATH}`, probe());
      expect(r.status).toBe(200);
      const resp = (JSON.parse(r.body) as Any).response;
      const patch = JSON.parse(Buffer.from(resp.patch as string, 'base64').toString()) as Any[];
      expect(JSON.stringify(patch)).toContain('"kplex.io/namespace":"app"');
    },
  );

  attack(
    'authn',
    "webhook: an unauthenticated poster asking about another tenant's host namespace gets 401 and no patch",
    async () => {
      expectRefused(await post(`${origin}${PATH}`, probe(), { as: 'anonymous' }), A, '"app"');
      // Any method, any body: refused before the body is read, so a bad body is 401 too, not 400/405.
      expectRefused(await post(`${origin}${PATH}`, 'x', { as: 'anonymous' }));
      expectRefused(await post(`${origin}${PATH}`, '', { as: 'anonymous', method: 'GET' }));
      expectRefused(await post(`${origin}${PATH}?dryRun=All`, probe(), { as: 'anonymous', method: 'PUT' }));
    },
  );

  attack('authn', "webhook: tenant B's bearer token does not make it a caller (401, no patch)", async () => {
    const token = /token: (\S+)/.exec(readFileSync(s.kc[B]!, 'utf8'))![1]!;
    expectRefused(await post(`${origin}${PATH}`, probe(), { as: 'anonymous', token }), A, '"app"');
  });

  attack('authn', "webhook: tenant B's client certificate is refused (401, no patch)", async () => {
    const kc = kplexCli([
      'kubeconfig',
      B,
      '--client-cert',
      '--host-kubeconfig',
      s.host.kubeconfig,
      '--data-dir',
      s.env.dataDir,
      '--server',
      s.env.kplex.url,
      '--user',
      'mallory',
      '--group',
      'system:masters',
    ]);
    const file = path.join(s.env.dataDir, `${B}-mallory-cert.kubeconfig`);
    writeFileSync(file, kc, { mode: 0o600 });
    const b64 = (k: string) => Buffer.from(new RegExp(`${k}: (\\S+)`).exec(kc)![1]!, 'base64').toString();
    const certB = { cert: b64('client-certificate-data'), key: b64('client-key-data') };
    // The certificate is a good tenant credential...
    const whoami = await post(
      `${origin}/clusters/${B}/apis/authentication.k8s.io/v1/selfsubjectreviews`,
      '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}',
      { as: certB },
    );
    expect(JSON.parse(whoami.body)).toMatchObject({ status: { userInfo: { username: 'mallory' } } });
    // ...and no webhook caller.
    expectRefused(await post(`${origin}${PATH}`, probe(), { as: certB }), A, '"app"');
  });

  attack(
    'authn',
    "webhook: the host admin's certificate (host CA) and one from a forged CA of the webhook CA's name are refused",
    async () => {
      const pki = (f: string) => readFileSync(path.join(s.host.dir, 'pki', f), 'utf8');
      const admin = { cert: pki('admin.crt'), key: pki('admin.key') };
      const forged = await issueCert(await createCA('kplex-local-host-webhook-client-ca'), {
        commonName: 'kube-apiserver-webhook-client',
        client: true,
      });
      for (const as of [admin, forged])
        expectRefused(await post(`${origin}${PATH}`, probe(), { as }), A, '"app"');
    },
  );

  attack(
    'leaks',
    'webhook: a refused caller gets the same bytes for a tenant namespace, a host one and a missing one, and makes nothing',
    async () => {
      const fresh = 'probed';
      kubectlOk(s.kc[A]!, ['create', 'namespace', fresh]);
      const ns = await hostNs(A, fresh);
      const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } };
      const answers = new Set<string>();
      for (const target of [ns, hostNsA, 'kube-system', 'no-such-namespace']) {
        const r = await post(`${origin}${PATH}`, review(target, pod), { as: 'anonymous' });
        expectRefused(r, A, fresh);
        answers.add(`${r.status} ${r.body}`);
      }
      expect(answers.size).toBe(1);
      // A CREATE that is not a dry run would have made the namespace's CA ConfigMap.
      expect(
        (await s.hostApi.request('GET', `/api/v1/namespaces/${ns}/configmaps/kplex-root-ca.crt`)).status,
      ).toBe(404);
    },
  );
  attack(
    'authn',
    'webhook: a kplex with no --webhook-client-ca refuses even the host (403), so no tenant pod is admitted untranslated',
    async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kplex-no-webhook-ca-'));
      // It registers the webhook for itself at start, as any kplex does.
      const bare = await startKplex([
        '--data-dir',
        dataDir,
        '--host-kubeconfig',
        s.host.kubeconfig,
        '--shutdown-grace-seconds',
        '0',
      ]);
      try {
        expect(bare.logs.join('\n')).toContain('no --webhook-client-ca');
        const r = await s.hostApi.request<Any>('POST', `/api/v1/namespaces/${hostNsA}/pods`, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'unwebhooked' },
          spec: { containers: [{ name: 'c', image: 'x' }] },
        });
        expect(r.status).toBe(500);
        expect(r.body.message).toContain('failed calling webhook "pods.kplex.io"');
        expect(
          (await s.hostApi.request('GET', `/api/v1/namespaces/${hostNsA}/pods/unwebhooked`)).status,
        ).toBe(404);
        expectRefused403(await post(`https://127.0.0.1:${bare.port}${PATH}`, probe()));
      } finally {
        await bare.stop();
        rmSync(dataDir, { recursive: true, force: true });
        await s.env.restart('SIGKILL'); // the suite's kplex registers the webhook for itself again
      }
    },
  );
});
