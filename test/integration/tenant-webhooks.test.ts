// A tenant's own admission webhooks, called by kplex for the tenant's writes: a real HTTPS webhook
// (test/helpers/webhook-server.ts) behind a tenant Service. Host-backed writes (ConfigMaps) and
// virtual ones (custom resources); denials, patches, selectors on VIRTUAL namespace labels,
// failurePolicy, timeouts, dry runs and url webhooks under the Tenant's policy. A denial's Status
// is compared with the host apiserver's own for the same webhook, in the same run.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { apiClient } from '../helpers/api-client.js';
import { openSpecCRD } from '../helpers/crd.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';
import { exposeWebhook, type HookSpec, webhookConfiguration } from '../helpers/webhook-config.js';
import { startWebhookServer, type WebhookServer } from '../helpers/webhook-server.js';

const TENANT = 'wh';
const GROUP = 'wh.example.test';
const apply = (kc: string, obj: unknown): string => kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(obj));
let caBundle = '';
const hook = (h: Partial<HookSpec> & Pick<HookSpec, 'name' | 'path'>): HookSpec => ({
  resources: [{ group: '', resource: 'configmaps' }],
  service: { namespace: 'hooks', name: 'hook' },
  caBundle,
  ...h,
});
type Status = { message?: string; reason?: string; code?: number; details?: Record<string, unknown> };

describe('tenant admission webhooks', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;
  let server: WebhookServer;
  let tenantApi: HostClient;
  let hostApi: HostClient;
  const configs: string[] = [];
  const register = (kind: 'Validating' | 'Mutating', name: string, hooks: HookSpec[]) => {
    apply(kc, webhookConfiguration(kind, name, hooks));
    configs.push(`${kind.toLowerCase()}webhookconfiguration/${name}`);
  };

  beforeAll(async () => {
    server = await startWebhookServer(['hook.hooks.svc', 'dead.hooks.svc']);
    caBundle = server.caBundle;
    env = await startTenantEnv(host);
    kc = await env.tenant(TENANT);
    for (const ns of ['hooks', 'guarded', 'open', 'mutated']) kubectlOk(kc, ['create', 'ns', ns]);
    kubectlOk(kc, ['label', 'ns', 'guarded', 'guard=on']);
    exposeWebhook(
      { tenantKubeconfig: kc, hostKubeconfig: host.kubeconfig, tenant: TENANT, ns: 'hooks', name: 'hook' },
      server,
    );
    // A Service whose endpoint answers nothing (a port no one listens on).
    exposeWebhook(
      { tenantKubeconfig: kc, hostKubeconfig: host.kubeconfig, tenant: TENANT, ns: 'hooks', name: 'dead' },
      { ip: server.ip, port: 1 },
    );
    apply(kc, openSpecCRD(GROUP, 'Widget', 'widgets'));
    kubectlOk(kc, ['wait', '--for=condition=Established', `crd/widgets.${GROUP}`]);
    tenantApi = await apiClient(kc);
    hostApi = await apiClient(host.kubeconfig);
  });
  afterEach(() => {
    for (const c of configs.splice(0)) kubectlOk(kc, ['delete', c, '--ignore-not-found']);
  });
  afterAll(async () => {
    await tenantApi?.close();
    await hostApi?.close();
    await env?.close();
    await server?.close();
  });

  it("denies a ConfigMap (host-backed) in a namespace of the selector's VIRTUAL labels, with the host's Status", async () => {
    register('Validating', 'deny-cm', [
      hook({ name: `deny.${GROUP}`, path: '/deny', namespaceSelector: { matchLabels: { guard: 'on' } } }),
    ]);
    const r = kubectl(kc, ['create', 'configmap', 'x', '-n', 'guarded']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `admission webhook "deny.${GROUP}" denied the request: the test webhook refuses this`,
    );
    const t = await tenantApi.request<Status>('POST', '/api/v1/namespaces/guarded/configmaps', {
      metadata: { name: 'x' },
    });
    expect(t.status).toBe(403);
    // As the v1.32 host words it: the webhook's Status, its name in the message, nothing added.
    expect(t.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      code: 403,
      message: `admission webhook "deny.${GROUP}" denied the request: the test webhook refuses this`,
    });
    // The webhook saw the tenant's names and user.
    const seen = (await server.received('/deny')).at(-1)!;
    expect(seen).toMatchObject({ name: 'x', namespace: 'guarded', operation: 'CREATE', dryRun: false });
    expect(seen.userInfo?.username).toBe('admin');
    expect(kubectl(kc, ['get', 'cm', 'x', '-n', 'guarded']).stderr).toContain('not found');
    // Not in a namespace without the label (the host namespace never carries tenant labels).
    kubectlOk(kc, ['create', 'configmap', 'x', '-n', 'open']);

    // The host apiserver's answer for the same webhook (called by URL), in the same run.
    const label = `wh-${randomBytes(3).toString('hex')}`;
    const hostNs = `${label}-ns`;
    kubectlOk(host.kubeconfig, ['create', 'ns', hostNs]);
    kubectlOk(host.kubeconfig, ['label', 'ns', hostNs, `${label}=on`]);
    apply(
      host.kubeconfig,
      webhookConfiguration('Validating', label, [
        hook({
          name: `deny.${GROUP}`,
          path: '/deny',
          service: undefined,
          url: `https://${server.ip}:${server.port}`,
          caBundle: server.caBundle,
          namespaceSelector: { matchLabels: { [label]: 'on' } },
        }),
      ]),
    );
    try {
      let h = await hostApi.request<Status>('POST', `/api/v1/namespaces/${hostNs}/configmaps`, {
        metadata: { name: 'x' },
      });
      for (let i = 0; i < 100 && h.status === 201; i++) {
        await hostApi.request('DELETE', `/api/v1/namespaces/${hostNs}/configmaps/x`);
        await new Promise((res) => setTimeout(res, 100));
        h = await hostApi.request<Status>('POST', `/api/v1/namespaces/${hostNs}/configmaps`, {
          metadata: { name: 'x' },
        });
      }
      expect(t.status).toBe(h.status);
      expect(t.body).toEqual(h.body);
    } finally {
      kubectl(host.kubeconfig, ['delete', 'validatingwebhookconfiguration', label, '--ignore-not-found']);
      kubectl(host.kubeconfig, ['delete', 'ns', hostNs, '--wait=false']);
    }
  });

  it('denies a custom resource (virtual) with the status code and reason the webhook gives', async () => {
    register('Validating', 'deny-widgets', [
      hook({
        name: `widgets.${GROUP}`,
        path: '/deny-422',
        resources: [{ group: GROUP, resource: 'widgets' }],
        matchConditions: [{ name: 'bad-names', expression: "object.metadata.name.startsWith('bad')" }],
      }),
    ]);
    const widget = (name: string) => ({
      apiVersion: `${GROUP}/v1`,
      kind: 'Widget',
      metadata: { name },
      spec: {},
    });
    const t = await tenantApi.request<Status>(
      'POST',
      `/apis/${GROUP}/v1/namespaces/open/widgets`,
      widget('bad-one'),
    );
    expect(t.status).toBe(422);
    expect(t.body).toMatchObject({
      reason: 'Invalid',
      message: `admission webhook "widgets.${GROUP}" denied the request: name must not start with bad`,
    });
    expect(kubectl(kc, ['get', `widgets.${GROUP}`, 'bad-one', '-n', 'open']).stderr).toContain('not found');
    // matchConditions: a name the condition excludes is never sent.
    const calls = (await server.received('/deny-422')).length;
    apply(kc, { ...widget('good-one'), metadata: { name: 'good-one', namespace: 'open' } });
    expect((await server.received('/deny-422')).length).toBe(calls);
  });

  it("applies a mutating webhook's patch to host-backed and virtual objects, and passes its warnings", () => {
    register('Mutating', 'label', [
      hook({
        name: `label.${GROUP}`,
        path: '/label',
        resources: [
          { group: '', resource: 'configmaps' },
          { group: GROUP, resource: 'widgets' },
        ],
        namespaceSelector: {
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['mutated'] }],
        },
      }),
    ]);
    const r = kubectl(kc, ['create', 'configmap', 'm', '-n', 'mutated', '--from-literal=a=b']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Warning: labelled by the test webhook');
    const cm = JSON.parse(kubectlOk(kc, ['get', 'cm', 'm', '-n', 'mutated', '-o', 'json'])) as {
      metadata: { labels?: Record<string, string> };
      data: Record<string, string>;
    };
    expect(cm.metadata.labels).toEqual({ webhook: 'was-here' });
    expect(cm.data).toEqual({ a: 'b' });
    // An update is patched too (the label removed by the client comes back).
    kubectlOk(kc, ['label', 'cm', 'm', '-n', 'mutated', 'webhook-']);
    expect(
      kubectlOk(kc, ['get', 'cm', 'm', '-n', 'mutated', '-o', 'jsonpath={.metadata.labels.webhook}']),
    ).toBe('was-here');
    apply(kc, {
      apiVersion: `${GROUP}/v1`,
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'mutated', labels: { a: 'b' } },
      spec: {},
    });
    const w = JSON.parse(kubectlOk(kc, ['get', `widgets.${GROUP}`, 'w', '-n', 'mutated', '-o', 'json'])) as {
      metadata: { labels?: Record<string, string> };
    };
    expect(w.metadata.labels).toEqual({ a: 'b', webhook: 'was-here' });
    // A server-side apply that creates, on the host: the applied object is mutated too.
    kubectlOk(
      kc,
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'ssa', namespace: 'mutated' },
        data: { k: 'v' },
      }),
    );
    expect(
      kubectlOk(kc, [
        'get',
        'cm',
        'ssa',
        '-n',
        'mutated',
        '-o',
        'jsonpath={.metadata.labels.webhook}/{.data.k}',
      ]),
    ).toBe('was-here/v');
    // Outside the selector nothing is patched.
    kubectlOk(kc, ['create', 'configmap', 'm', '-n', 'open']);
    expect(kubectlOk(kc, ['get', 'cm', 'm', '-n', 'open', '-o', 'jsonpath={.metadata.labels}'])).toBe('');
  });

  it("calls the tenant's webhooks for pods host controllers make, once for pods made through kplex", async () => {
    kubectlOk(kc, ['create', 'ns', 'ctrl']);
    kubectlOk(kc, ['create', 'ns', 'ctrl-denied']);
    const inNs = (ns: string) => ({
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [ns] }],
    });
    register('Mutating', 'pod-label', [
      hook({
        name: `pods.${GROUP}`,
        path: '/label',
        resources: [{ group: '', resource: 'pods' }],
        namespaceSelector: inNs('ctrl'),
      }),
    ]);
    register('Validating', 'pod-deny', [
      hook({
        name: `podsdeny.${GROUP}`,
        path: '/deny',
        resources: [{ group: '', resource: 'pods' }],
        namespaceSelector: inNs('ctrl-denied'),
      }),
    ]);
    kubectlOk(kc, ['create', 'deployment', 'web', '--image=nginx', '-n', 'ctrl']);
    kubectlOk(kc, ['create', 'deployment', 'web', '--image=nginx', '-n', 'ctrl-denied']);
    let labels = '';
    for (let i = 0; i < 150 && !labels; i++) {
      labels = kubectlOk(kc, [
        'get',
        'pods',
        '-n',
        'ctrl',
        '-l',
        'app=web',
        '-o',
        'jsonpath={.items[*].metadata.labels.webhook}',
      ]);
      if (!labels) await new Promise((res) => setTimeout(res, 200));
    }
    expect(labels).toBe('was-here');
    const byController = (await server.received('/label')).filter((q) => q.namespace === 'ctrl');
    expect(byController.length).toBeGreaterThan(0);
    expect(byController[0]!.userInfo?.username).toMatch(
      /^system:(serviceaccount:kube-system:replicaset-controller|kube-controller-manager)$/,
    );
    // Refused by the tenant's webhook, the ReplicaSet says why (as the host's own webhooks would).
    let why = '';
    for (let i = 0; i < 150 && !why.includes('denied'); i++) {
      why = kubectlOk(kc, [
        'get',
        'rs',
        '-n',
        'ctrl-denied',
        '-o',
        'jsonpath={.items[*].status.conditions[*].message}',
      ]);
      if (!why.includes('denied')) await new Promise((res) => setTimeout(res, 200));
    }
    expect(why).toContain(
      `admission webhook "podsdeny.${GROUP}" denied the request: the test webhook refuses this`,
    );
    expect(kubectlOk(kc, ['get', 'pods', '-n', 'ctrl-denied', '-o', 'name'])).toBe('');
    // A pod made through kplex passed the tenant's webhooks there: the host's pod webhook does not call them again.
    kubectlOk(kc, ['run', 'direct', '--image=nginx', '-n', 'ctrl']);
    expect(
      kubectlOk(kc, ['get', 'pod', 'direct', '-n', 'ctrl', '-o', 'jsonpath={.metadata.labels.webhook}']),
    ).toBe('was-here');
    expect((await server.received('/label')).filter((q) => q.name === 'direct')).toHaveLength(1);
  });

  it('fails closed or open on an unreachable webhook as failurePolicy says', async () => {
    register('Validating', 'unreachable', [
      hook({
        name: `dead.${GROUP}`,
        path: '/allow',
        service: { namespace: 'hooks', name: 'dead' },
        namespaceSelector: { matchLabels: { guard: 'on' } },
      }),
      hook({
        name: `missing.${GROUP}`,
        path: '/allow',
        service: { namespace: 'hooks', name: 'missing' },
        failurePolicy: 'Ignore',
      }),
    ]);
    const t = await tenantApi.request<Status>('POST', '/api/v1/namespaces/guarded/configmaps', {
      metadata: { name: 'u' },
    });
    expect(t.status).toBe(500);
    expect(t.body.reason).toBe('InternalError');
    expect(t.body.message).toBe(
      `Internal error occurred: failed calling webhook "dead.${GROUP}": failed to call webhook: Post "https://dead.hooks.svc:443/allow?timeout=5s": dial tcp: connect: connection refused`,
    );
    // Ignore: the missing Service fails open.
    kubectlOk(kc, ['create', 'configmap', 'u', '-n', 'open']);
  });

  it('ends a call at timeoutSeconds: Fail refuses the write, Ignore lets it through', async () => {
    register('Validating', 'slow', [
      hook({
        name: `slow.${GROUP}`,
        path: '/slow',
        timeoutSeconds: 1,
        namespaceSelector: { matchLabels: { guard: 'on' } },
      }),
      hook({
        name: `slow-ignored.${GROUP}`,
        path: '/slow',
        timeoutSeconds: 1,
        failurePolicy: 'Ignore',
        namespaceSelector: { matchLabels: { guard: 'off' } },
      }),
    ]);
    const t = await tenantApi.request<Status>('POST', '/api/v1/namespaces/guarded/configmaps', {
      metadata: { name: 's' },
    });
    expect(t.status).toBe(500);
    expect(t.body.message).toBe(
      `Internal error occurred: failed calling webhook "slow.${GROUP}": failed to call webhook: Post "https://hook.hooks.svc:443/slow?timeout=1s": context deadline exceeded`,
    );
    kubectlOk(kc, ['label', 'ns', 'open', 'guard=off']);
    try {
      kubectlOk(kc, ['create', 'configmap', 's', '-n', 'open']);
    } finally {
      kubectlOk(kc, ['label', 'ns', 'open', 'guard-']);
    }
  });

  it('calls a webhook with sideEffects NoneOnDryRun for a dry run, which writes nothing', async () => {
    register('Validating', 'dry', [
      hook({ name: `dry.${GROUP}`, path: '/allow', sideEffects: 'NoneOnDryRun' }),
    ]);
    kubectlOk(kc, ['create', 'configmap', 'd', '-n', 'open', '--dry-run=server']);
    const seen = (await server.received('/allow')).at(-1)!;
    expect(seen).toMatchObject({ name: 'd', namespace: 'open', dryRun: true });
    expect(kubectl(kc, ['get', 'cm', 'd', '-n', 'open']).stderr).toContain('not found');
  });

  it('calls url webhooks only when the Tenant policy allows them', async () => {
    register('Validating', 'by-url', [
      hook({
        name: `url.${GROUP}`,
        path: '/deny',
        service: undefined,
        url: `https://${server.ip}:${server.port}`,
        caBundle: server.caBundle,
        namespaceSelector: { matchLabels: { guard: 'on' } },
      }),
    ]);
    const denied = (await server.received('/deny')).length;
    const before = await tenantApi.request<Status>('POST', '/api/v1/namespaces/guarded/configmaps', {
      metadata: { name: 'url' },
    });
    expect(before.status).toBe(500);
    expect(before.body.message).toContain("the Tenant's policy does not allow url webhooks");
    expect((await server.received('/deny')).length).toBe(denied);
    kubectlOk(host.kubeconfig, [
      'patch',
      'tenant',
      TENANT,
      '--type=merge',
      '-p',
      '{"spec":{"policy":{"webhookURLs":true}}}',
    ]);
    try {
      let after = before;
      for (let i = 0; i < 100 && after.status === 500; i++) {
        await new Promise((res) => setTimeout(res, 100));
        after = await tenantApi.request<Status>('POST', '/api/v1/namespaces/guarded/configmaps', {
          metadata: { name: 'url' },
        });
      }
      expect(after.status).toBe(403);
      expect(after.body.message).toContain(`admission webhook "url.${GROUP}" denied the request`);
    } finally {
      kubectlOk(host.kubeconfig, [
        'patch',
        'tenant',
        TENANT,
        '--type=merge',
        '-p',
        '{"spec":{"policy":{"webhookURLs":null}}}',
      ]);
    }
  });
});
