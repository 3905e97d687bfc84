// The pod webhook and the pod tokens it wires in: the webhook path takes any poster's bytes
// (bounded, refused unless a v1 pod review, never a side effect outside kplex namespaces), and a
// pod token is good only for the pod's own tenant: a pod asking for another tenant's audience, or
// for the host's, gets nothing.
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { attack, securityEnv, type SecurityEnv } from './harness.js';

const A = 'sec-podwh-a';
const B = 'sec-podwh-b';
const PATH = '/kplex/webhooks/v1/pods';

type Any = Record<string, any>;

function post(
  url: string,
  body: string | Buffer,
  opts: { method?: string; token?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const req = request(url, { method: opts.method ?? 'POST', rejectUnauthorized: false, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
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

  const hostNs = async (tenant: string, ns: string): Promise<string> =>
    (
      await s.hostApi.request<{ items: Any[] }>(
        'GET',
        `/api/v1/namespaces?labelSelector=${encodeURIComponent(`kplex.io/tenant=${tenant},kplex.io/namespace=${ns}`)}`,
      )
    ).body.items[0]!.metadata.name as string;

  beforeAll(async () => {
    s = await securityEnv([A, B]);
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
});
