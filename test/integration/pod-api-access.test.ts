// In-pod API access as the tenant's ServiceAccount (issue 13): every tenant pod, created through
// kplex or by a host controller from a Deployment, StatefulSet or Job, is translated by kplex's
// host webhook. Without containers, the test does what the kubelet and an in-cluster client do:
// it mints the token the kubelet would (TokenRequest for the pod's host ServiceAccount, the
// pod's audience, bound to the pod), resolves the pod's env and files from the host pod spec,
// and runs the real kubectl with them.
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { apiClient } from '../helpers/api-client.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const TENANT = 'pod-api';
const OTHER = 'pod-api-other';
const POD_DNS = '10.96.0.53';

type Any = Record<string, any>;

const template = (labels: Record<string, string>) => ({
  metadata: { labels },
  spec: {
    serviceAccountName: 'robot',
    containers: [
      {
        name: 'app',
        image: 'busybox',
        env: [{ name: 'MY_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
      },
    ],
  },
});

const manifests = {
  pod: {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'direct', namespace: 'app', labels: { via: 'direct' } },
    spec: template({}).spec,
  },
  deployment: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'app' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { via: 'deployment' } },
      template: template({ via: 'deployment' }),
    },
  },
  statefulset: {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'app' },
    spec: {
      replicas: 1,
      serviceName: 'db',
      selector: { matchLabels: { via: 'statefulset' } },
      template: template({ via: 'statefulset' }),
    },
  },
  job: {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'once', namespace: 'app' },
    spec: {
      backoffLimit: 0,
      template: { ...template({ via: 'job' }), spec: { ...template({}).spec, restartPolicy: 'Never' } },
    },
  },
};

/** What the kubelet gives a container: its env (fieldRefs resolved) and the token volume's files. */
interface PodView {
  env: Record<string, string>;
  token: string;
  ca: string;
  namespaceFile: string;
}

describe('pod syncer: in-pod API access as the tenant ServiceAccount', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;
  let hostApi: HostClient;
  let hostNs: string;
  let emptyKubeconfig: string;

  /** The one host pod labelled `via=<how>` (waits for the controller to make it). */
  async function hostPod(how: string): Promise<Any> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const list = await hostApi.request<{ items: Any[] }>(
        'GET',
        `/api/v1/namespaces/${hostNs}/pods?labelSelector=via%3D${how}`,
      );
      const pod = list.body.items?.[0];
      if (pod) return pod;
      if (Date.now() > deadline) throw new Error(`no host pod via=${how}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The kubelet's part, read from the host pod spec: fieldRefs resolved, token minted, files read. */
  async function asKubelet(pod: Any): Promise<PodView> {
    const field = (p: string): string => {
      const m = /^metadata\.annotations\['(.+)'\]$/.exec(p);
      if (m) return pod.metadata.annotations?.[m[1]!] ?? '';
      if (p === 'metadata.namespace') return pod.metadata.namespace;
      throw new Error(`fieldPath ${p}`);
    };
    const envOut: Record<string, string> = {};
    for (const e of pod.spec.containers[0].env as Any[])
      envOut[e.name] = e.value ?? field(e.valueFrom.fieldRef.fieldPath);
    const mount = (pod.spec.containers[0].volumeMounts as Any[]).find(
      (m) => m.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount',
    );
    const volume = (pod.spec.volumes as Any[]).find((v) => v.name === mount!.name);
    const sources = volume!.projected.sources as Any[];
    const tokenSource = sources.find((s) => s.serviceAccountToken)!.serviceAccountToken;
    const minted = await hostApi.request<Any>(
      'POST',
      `/api/v1/namespaces/${hostNs}/serviceaccounts/${pod.spec.serviceAccountName}/token`,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: [tokenSource.audience],
          expirationSeconds: tokenSource.expirationSeconds,
          boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.metadata.name, uid: pod.metadata.uid },
        },
      },
    );
    expect(minted.status).toBe(201);
    const cmName = sources.find((s) => s.configMap)!.configMap.name;
    const cm = await hostApi.request<Any>('GET', `/api/v1/namespaces/${hostNs}/configmaps/${cmName}`);
    expect(cm.status).toBe(200);
    const nsItem = (sources.find((s) => s.downwardAPI)!.downwardAPI.items as Any[]).find(
      (i) => i.path === 'namespace',
    );
    return {
      env: envOut,
      token: minted.body.status.token,
      ca: cm.body.data['ca.crt'],
      namespaceFile: field(nsItem!.fieldRef.fieldPath),
    };
  }

  /** kubectl as an in-cluster client of that pod: no kubeconfig, the pod's env, CA and token. */
  function inPod(view: PodView, name: string, args: string[], serverPath = ''): ReturnType<typeof kubectl> {
    const ca = path.join(env.dataDir, `${name}-ca.crt`);
    writeFileSync(ca, view.ca);
    const server = `https://${view.env['KUBERNETES_SERVICE_HOST']}:${view.env['KUBERNETES_SERVICE_PORT']}${serverPath}`;
    return kubectl(emptyKubeconfig, [
      '--server',
      server,
      '--certificate-authority',
      ca,
      '--token',
      view.token,
      ...args,
    ]);
  }

  beforeAll(async () => {
    // Pods get kplex's DNS too (its address as a pod's resolver would ask it: port 53).
    env = await startTenantEnv(host, ['--pod-dns-address', POD_DNS]);
    kc = await env.tenant(TENANT);
    await env.tenant(OTHER);
    hostApi = await apiClient(host.kubeconfig);
    emptyKubeconfig = path.join(env.dataDir, 'empty.kubeconfig');
    writeFileSync(emptyKubeconfig, 'apiVersion: v1\nkind: Config\n');
    kubectlOk(kc, ['create', 'namespace', 'app']);
    kubectlOk(kc, ['create', 'serviceaccount', 'robot', '-n', 'app']);
    kubectlOk(kc, [
      'create',
      'rolebinding',
      'robot-view',
      '--clusterrole=view',
      '--serviceaccount=app:robot',
      '-n',
      'app',
    ]);
    const nss = await hostApi.request<{ items: Any[] }>(
      'GET',
      `/api/v1/namespaces?labelSelector=${encodeURIComponent(`kplex.io/tenant=${TENANT},kplex.io/namespace=app`)}`,
    );
    hostNs = nss.body.items[0]!.metadata.name;
    for (const m of Object.values(manifests)) kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(m));
  });
  afterAll(async () => env?.close());

  for (const how of ['direct', 'deployment', 'statefulset', 'job']) {
    describe(`a pod made ${how === 'direct' ? 'through kplex' : `by a ${how}`}`, () => {
      let view: PodView;
      beforeAll(async () => {
        view = await asKubelet(await hostPod(how));
      });

      it('is wired to kplex: env, CA, namespace file and downward API name the tenant side', () => {
        expect(view.env['KUBERNETES_SERVICE_HOST']).toBe('127.0.0.1');
        expect(view.env['KUBERNETES_SERVICE_PORT']).toBe(String(env.kplex.port));
        expect(view.env['MY_NS']).toBe('app');
        expect(view.namespaceFile).toBe('app');
        expect(view.ca).toContain('BEGIN CERTIFICATE');
      });

      it("resolves through kplex's DNS with the virtual namespace's search list", async () => {
        const pod = await hostPod(how);
        expect(pod.spec.dnsPolicy).toBe('None');
        expect(pod.spec.dnsConfig).toEqual({
          nameservers: [POD_DNS],
          searches: ['app.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
          options: [{ name: 'ndots', value: '5' }],
        });
      });

      it('kubectl auth whoami names the tenant ServiceAccount, with and without the tenant prefix', () => {
        for (const prefix of ['', `/clusters/${TENANT}`]) {
          const r = inPod(
            view,
            how,
            ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'],
            prefix,
          );
          expect(r.stderr).toBe('');
          expect(r.stdout).toBe('system:serviceaccount:app:robot');
        }
      });

      it("the tenant's RoleBinding is honoured (view: read pods, no secrets, no writes)", () => {
        const pods = inPod(view, how, ['get', 'pods', '-n', 'app', '-o', 'name']);
        expect(pods.code, pods.stderr).toBe(0);
        expect(pods.stdout).toContain('pod/direct');
        const secrets = inPod(view, how, ['get', 'secrets', '-n', 'app']);
        expect(secrets.code).not.toBe(0);
        expect(secrets.stderr).toContain(
          'User "system:serviceaccount:app:robot" cannot list resource "secrets"',
        );
        const write = inPod(view, how, ['create', 'configmap', 'x', '-n', 'app']);
        expect(write.stderr).toContain('cannot create resource "configmaps"');
      });

      it('the host apiserver and another tenant refuse the token', async () => {
        expect(await hostWhoami(host.server, path.join(host.dir, 'pki', 'ca.crt'), view.token)).toBe(401);
        const other = inPod(view, how, ['auth', 'whoami'], `/clusters/${OTHER}`);
        expect(other.code).not.toBe(0);
        expect(other.stderr).toMatch(/Unauthorized|must be logged in/);
      });
    });
  }

  it('the tenant reads its pod as it wrote it: nothing injected shows', () => {
    const pod = JSON.parse(kubectlOk(kc, ['get', 'pod', 'direct', '-n', 'app', '-o', 'json'])) as Any;
    expect(Object.keys(pod.metadata.annotations ?? {})).toEqual([
      'kubectl.kubernetes.io/last-applied-configuration',
    ]);
    expect(pod.spec.containers[0].env).toEqual([
      { name: 'MY_NS', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
    ]);
    const sources = (pod.spec.volumes as Any[]).find((v) => v.name.startsWith('kube-api-access-'))!.projected
      .sources as Any[];
    expect(sources.find((s) => s.serviceAccountToken)!.serviceAccountToken).toEqual({
      expirationSeconds: 3607,
      path: 'token',
    });
    expect(sources.find((s) => s.configMap)!.configMap.name).toBe('kube-root-ca.crt');
    expect(pod.spec.dnsPolicy).toBe('ClusterFirst');
    expect(pod.spec.dnsConfig).toBeUndefined();
    expect(JSON.stringify(pod)).not.toContain('kplex');
    expect(JSON.stringify(pod)).not.toContain(POD_DNS);
  });

  it('watch events show the tenant view too', () => {
    const out = kubectlOk(
      kc,
      [
        'get',
        'pods',
        '-n',
        'app',
        '-l',
        'via=direct',
        '--watch-only=false',
        '-w',
        '--request-timeout=2s',
        '-o',
        'json',
      ],
      undefined,
    );
    expect(out).toContain('"MY_NS"');
    expect(out).not.toContain('KUBERNETES_SERVICE_HOST');
    expect(out).not.toContain('kplex');
  });

  it('kubectl apply twice (client-side and server-side) of the Pod and the Deployment changes nothing', () => {
    for (const m of [manifests.pod, manifests.deployment]) {
      const kind = m.kind.toLowerCase();
      const rv = () =>
        kubectlOk(kc, [
          'get',
          kind,
          m.metadata.name,
          '-n',
          'app',
          '-o',
          'jsonpath={.metadata.resourceVersion}/{.metadata.generation}',
        ]);
      const before = rv();
      expect(kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(m))).toContain('unchanged');
      expect(kubectl(kc, ['diff', '-f', '-'], JSON.stringify(m)).code).toBe(0);
      expect(rv()).toBe(before);
      // The first server-side apply takes the fields over from client-side apply (a new
      // resourceVersion, and on the host itself a new Deployment generation too); the second
      // changes nothing.
      const ssa = kubectl(kc, ['apply', '--server-side', '--force-conflicts', '-f', '-'], JSON.stringify(m));
      expect(ssa.code, ssa.stderr).toBe(0);
      const owned = rv();
      expect(kubectlOk(kc, ['apply', '--server-side', '-f', '-'], JSON.stringify(m))).toContain(
        'serverside-applied',
      );
      expect(rv()).toBe(owned);
      expect(kubectl(kc, ['diff', '--server-side', '-f', '-'], JSON.stringify(m)).code).toBe(0);
    }
  });

  it('a pod update through kplex (label) keeps the host wiring', async () => {
    kubectlOk(kc, ['label', 'pod', 'direct', '-n', 'app', 'extra=yes']);
    const pod = await hostPod('direct');
    expect(pod.metadata.labels.extra).toBe('yes');
    expect(pod.metadata.annotations['kplex.io/namespace']).toBe('app');
    expect((pod.spec.containers[0].env as Any[])[0]!.name).toBe('KUBERNETES_SERVICE_HOST');
    const replaced = kubectl(
      kc,
      ['replace', '-f', '-'],
      kubectlOk(kc, ['get', 'pod', 'direct', '-n', 'app', '-o', 'json']),
    );
    expect(replaced.code, replaced.stderr).toBe(0);
  });

  it('an ephemeral container (kubectl debug) is wired too, and hidden from the tenant', async () => {
    const r = kubectl(kc, [
      'debug',
      'direct',
      '-n',
      'app',
      '--image=busybox',
      '-c',
      'dbg',
      '--',
      'sleep',
      '1',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const pod = await hostPod('direct');
    const dbg = (pod.spec.ephemeralContainers as Any[]).find((c) => c.name === 'dbg')!;
    expect((dbg.env as Any[]).map((e) => e.name)).toContain('KUBERNETES_SERVICE_HOST');
    const seen = JSON.parse(kubectlOk(kc, ['get', 'pod', 'direct', '-n', 'app', '-o', 'json'])) as Any;
    const own = (seen.spec.ephemeralContainers as Any[]).find((c) => c.name === 'dbg')!;
    expect(own.env).toBeUndefined();
  });

  it('a pod asking for a host-audience token is refused by the webhook', () => {
    const bad = {
      ...manifests.pod,
      metadata: { name: 'sneaky', namespace: 'app' },
      spec: {
        ...manifests.pod.spec,
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
    const r = kubectl(kc, ['create', '-f', '-'], JSON.stringify(bad));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('admission webhook "pods.kplex.io" denied the request');
    expect(r.stderr).not.toContain(hostNs);
  });
});

/** The host apiserver asked who a bearer token is (its status code; no client certificate). */
function hostWhoami(server: string, caFile: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL('/apis/authentication.k8s.io/v1/selfsubjectreviews', server),
      {
        method: 'POST',
        ca: readFileSync(caFile),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }));
  });
}
