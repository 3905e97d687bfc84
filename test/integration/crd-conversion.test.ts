// A tenant CRD's conversion webhook, side by side with the host apiserver in the same run: the
// same CRD and the same webhook program (test/helpers/webhook-server.mjs answering with
// conversion-answers.mjs, the e2e suite's v1 hostPort <-> v2 host/port example) behind a tenant
// Service in the tenant, by url on the host. The conformance specs "CustomResourceConversionWebhook
// ... convert from CR v1 to CR v2 / a non homogeneous list of CRs" as the reference flows; the
// webhook's failures and lies answered with the host's Status; spec.conversion validated as the
// host validates it.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { apiClient } from '../helpers/api-client.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';
import { exposeWebhook } from '../helpers/webhook-config.js';
import { startWebhookServer, type WebhookServer } from '../helpers/webhook-server.js';

const TENANT = 'conv';
const GROUP = `c${randomBytes(3).toString('hex')}.example.test`;
type Obj = Record<string, any>;
type Status = { kind?: string; message?: string; reason?: string; code?: number };

describe('CRD conversion webhooks', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;
  let server: WebhookServer;
  let tenant: HostClient;
  let hostApi: HostClient;
  const hostNs = `conv-${randomBytes(3).toString('hex')}`;
  const hostCRDs: string[] = [];

  /** The same CRD for tenant (Service) and host (url); `path` picks the webhook's behaviour. */
  const crd = (plural: string, kind: string, path: string, side: 'tenant' | 'host', storage = 'v1'): Obj => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
      scope: 'Namespaced',
      versions: ['v1', 'v2'].map((name) => ({
        name,
        served: true,
        storage: name === storage,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      })),
      conversion: {
        strategy: 'Webhook',
        webhook: {
          clientConfig:
            side === 'tenant'
              ? { service: { namespace: 'hooks', name: 'conv', path }, caBundle: server.caBundle }
              : { url: `https://${server.ip}:${server.port}${path}`, caBundle: server.caBundle },
          conversionReviewVersions: ['v1', 'v1beta1'],
        },
      },
    },
  });
  /** Installs the CRD on both sides and waits until both serve it. */
  async function install(plural: string, kind: string, path: string): Promise<void> {
    for (const side of ['tenant', 'host'] as const) {
      const kubeconfig = side === 'tenant' ? kc : host.kubeconfig;
      kubectlOk(kubeconfig, ['apply', '-f', '-'], JSON.stringify(crd(plural, kind, path, side)));
      kubectlOk(kubeconfig, ['wait', '--for=condition=Established', `crd/${plural}.${GROUP}`]);
      if (side === 'host') hostCRDs.push(`${plural}.${GROUP}`);
    }
    // The host's discovery of a new CRD lags its Established condition a little.
    for (let i = 0; i < 100; i++) {
      const r = await hostApi.request('GET', `/apis/${GROUP}/v2/namespaces/${hostNs}/${plural}`);
      if (r.status === 200) return;
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  const both = async (method: string, path: (ns: string) => string, body?: unknown) => ({
    t: await tenant.request<Obj>(method, path('work'), body),
    h: await hostApi.request<Obj>(method, path(hostNs), body),
  });
  const foo = (name: string, spec: Obj, version = 'v1', kind = 'Foo') => ({
    apiVersion: `${GROUP}/${version}`,
    kind,
    metadata: { name },
    spec,
  });

  beforeAll(async () => {
    server = await startWebhookServer(['conv.hooks.svc']);
    env = await startTenantEnv(host);
    kc = await env.tenant(TENANT);
    kubectlOk(kc, ['create', 'ns', 'hooks']);
    kubectlOk(kc, ['create', 'ns', 'work']);
    exposeWebhook(
      { tenantKubeconfig: kc, hostKubeconfig: host.kubeconfig, tenant: TENANT, ns: 'hooks', name: 'conv' },
      server,
    );
    kubectlOk(host.kubeconfig, ['create', 'ns', hostNs]);
    tenant = await apiClient(kc);
    hostApi = await apiClient(host.kubeconfig);
  });
  afterAll(async () => {
    for (const c of hostCRDs) kubectl(host.kubeconfig, ['delete', 'crd', c, '--wait=false']);
    kubectl(host.kubeconfig, ['delete', 'ns', hostNs, '--wait=false']);
    await tenant?.close();
    await hostApi?.close();
    // A kplex that does not stop on SIGTERM within 30 s is killed, its last log lines shown.
    const guard = setTimeout(() => {
      process.stderr.write(
        `[crd-conversion] kplex still running; last logs:\n${env?.kplex.logs.slice(-15).join('\n')}`,
      );
      env?.kplex.child.kill('SIGKILL');
    }, 30_000);
    await env?.close();
    clearTimeout(guard);
    await server?.close();
  });

  it('converts a CR from v1 to v2 and back as the host does (the e2e flow)', async () => {
    await install('foos', 'Foo', '/convert');
    const FOOS = (ns: string) => `/apis/${GROUP}/v1/namespaces/${ns}/foos`;
    const FOOS2 = (ns: string) => `/apis/${GROUP}/v2/namespaces/${ns}/foos`;
    const c = await both('POST', FOOS, foo('a', { hostPort: 'localhost:8080' }));
    expect([c.t.status, c.h.status]).toEqual([201, 201]);
    const g = await both('GET', (ns) => `${FOOS2(ns)}/a`);
    expect(g.t.status).toBe(200);
    expect(g.t.body!['apiVersion']).toBe(g.h.body!['apiVersion']);
    expect(g.t.body!['spec']).toEqual(g.h.body!['spec']);
    expect(g.t.body!['spec']).toEqual({ host: 'localhost', port: '8080' });
    // The webhook saw the tenant's names: the virtual namespace, never the host's.
    const seen = (await server.received('/convert')) as unknown as { objects: Obj[] }[];
    const names = seen.flatMap((r) => r.objects.map((o) => o['metadata']?.['namespace']));
    expect(names).toContain('work');
    expect(names.filter((n) => n !== 'work' && n !== hostNs)).toEqual([]);
    // A write in v2: stored in v1 (read back in v1 through no conversion), answered in v2.
    const put = (api: HostClient, ns: string, got: Obj | undefined) =>
      api.request<Obj>('PUT', `${FOOS2(ns)}/a`, { ...got, spec: { host: 'example', port: '9090' } });
    const u = { t: await put(tenant, 'work', g.t.body), h: await put(hostApi, hostNs, g.h.body) };
    expect([u.t.status, u.h.status]).toEqual([200, 200]);
    expect(u.t.body!['spec']).toEqual(u.h.body!['spec']);
    const v1 = await both('GET', (ns) => `${FOOS(ns)}/a`);
    expect(v1.t.body!['spec']).toEqual({ hostPort: 'example:9090' });
    expect(v1.t.body!['spec']).toEqual(v1.h.body!['spec']);
  });

  it('lists a non homogeneous collection in either version after the storage version changed, as the host', async () => {
    await install('bars', 'Bar', '/convert');
    const L = (v: string) => (ns: string) => `/apis/${GROUP}/${v}/namespaces/${ns}/bars`;
    await both('POST', L('v1'), foo('one', { hostPort: 'h1:1' }, 'v1', 'Bar'));
    for (const kubeconfig of [kc, host.kubeconfig])
      kubectlOk(kubeconfig, [
        'patch',
        'crd',
        `bars.${GROUP}`,
        '--type=json',
        '-p',
        JSON.stringify([
          { op: 'replace', path: '/spec/versions/0/storage', value: false },
          { op: 'replace', path: '/spec/versions/1/storage', value: true },
        ]),
      ]);
    const c = await both('POST', L('v2'), foo('two', { host: 'h2', port: '2' }, 'v2', 'Bar'));
    expect([c.t.status, c.h.status]).toEqual([201, 201]);
    for (const v of ['v1', 'v2']) {
      const l = await both('GET', L(v));
      const specs = (b: Obj | undefined) => (b?.['items'] as Obj[]).map((i) => [i['apiVersion'], i['spec']]);
      expect(specs(l.t.body)).toEqual(specs(l.h.body));
    }
    // The CRD's storedVersions and conditions as the host keeps them.
    const crds = await both(
      'GET',
      () => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/bars.${GROUP}`,
    );
    const status = (b: Obj | undefined) => ({
      storedVersions: b?.['status']?.['storedVersions'],
      conditions: (b?.['status']?.['conditions'] as Obj[])
        .map((x) => [x['type'], x['status'], x['reason']])
        .sort(),
    });
    expect(status(crds.t.body)).toEqual(status(crds.h.body));
  });

  it("answers a failing or lying webhook with the host's Status", async () => {
    const cases: [string, string][] = [
      ['/convert-fail', 'Fail'],
      ['/convert-failed-silent', 'Silent'],
      ['/convert-none', 'None'],
      ['/convert-same-version', 'Same'],
      ['/convert-rename', 'Rename'],
      ['/convert-move', 'Move'],
      ['/convert-uid', 'Uid'],
      ['/convert-bad-uid', 'BadUid'],
    ];
    for (const [path, kind] of cases) {
      const plural = `${kind.toLowerCase()}s`;
      await install(plural, kind, path);
      // Created in the storage version: no conversion yet.
      const c = await both(
        'POST',
        (ns) => `/apis/${GROUP}/v1/namespaces/${ns}/${plural}`,
        foo('x', { hostPort: 'h:1' }, 'v1', kind),
      );
      expect([c.t.status, c.h.status], path).toEqual([201, 201]);
      const g = await both('GET', (ns) => `/apis/${GROUP}/v2/namespaces/${ns}/${plural}/x`);
      const norm = (s: Status | undefined) =>
        JSON.stringify(s)
          .replaceAll(String(c.t.body?.['metadata']?.['uid']), '<uid>')
          .replaceAll(String(c.h.body?.['metadata']?.['uid']), '<uid>')
          .replaceAll(hostNs, 'work')
          .replace(/expected response\.uid=\\"[0-9a-f-]+\\"/, 'expected response.uid=<review>');
      expect(g.t.status, path).toBe(g.h.status);
      expect(norm(g.t.body as Status), path).toBe(norm(g.h.body as Status));
    }
  });

  it('validates spec.conversion as the host', async () => {
    const bad = crd('quxes', 'Qux', '/convert', 'tenant');
    bad['spec']['conversion']['webhook'] = {
      clientConfig: { url: 'http://x/y?z=1' },
      conversionReviewVersions: ['v3', 'v3'],
    };
    const path = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
    const t = await tenant.request<Status>('POST', path, bad);
    const h = await hostApi.request<Status>('POST', path, bad);
    expect(t.status).toBe(422);
    expect(t.body).toEqual(h.body);
  });

  it('calls only what the tenant may reach: a url needs the policy, a missing Service is a 500', async () => {
    const T = (p: string) => `/apis/${GROUP}/v2/namespaces/work/${p}`;
    const byUrl = crd('urls', 'Url', '/convert', 'host');
    kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(byUrl));
    kubectlOk(kc, ['wait', '--for=condition=Established', `crd/urls.${GROUP}`]);
    await tenant.request(
      'POST',
      `/apis/${GROUP}/v1/namespaces/work/urls`,
      foo('x', { hostPort: 'h:1' }, 'v1', 'Url'),
    );
    const u = await tenant.request<Status>('GET', T('urls/x'));
    expect(u.status).toBe(500);
    expect(u.body?.message).toBe(
      `conversion webhook for ${GROUP}/v1, Kind=Url failed: Post "https://${server.ip}:${server.port}/convert": the Tenant's policy does not allow url webhooks (spec.policy.webhookURLs)`,
    );
    const missing = crd('ghosts', 'Ghost', '/convert', 'tenant');
    missing['spec']['conversion']['webhook']['clientConfig']['service']['name'] = 'nothing';
    kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(missing));
    kubectlOk(kc, ['wait', '--for=condition=Established', `crd/ghosts.${GROUP}`]);
    await tenant.request(
      'POST',
      `/apis/${GROUP}/v1/namespaces/work/ghosts`,
      foo('x', { hostPort: 'h:1' }, 'v1', 'Ghost'),
    );
    const m = await tenant.request<Status>('GET', T('ghosts/x'));
    expect(m.status).toBe(500);
    expect(m.body?.message).toBe(
      `conversion webhook for ${GROUP}/v1, Kind=Ghost failed: Post "https://nothing.hooks.svc:443/convert": service "nothing" not found`,
    );
  });
});
