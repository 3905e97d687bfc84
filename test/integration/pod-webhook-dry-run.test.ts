// kplex's own admission dry run of a create skips its pod webhook (a matchCondition: a dry run, by
// kplex's host user, carrying kplex's marker), so a pod create through kplex calls the webhook once,
// not twice. Nothing else skips it: a stored pod, another user's dry run, a tenant's own dry run and
// a tenant's attempt to set the marker are all translated as before.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { ANNOTATION_ADMISSION_DRY_RUN, ANNOTATION_NAMESPACE } from '../../src/syncer/pod-wiring.js';
import { WEBHOOK_CONFIGURATION } from '../../src/syncer/webhook-registration.js';
import { apiClient } from '../helpers/api-client.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const TENANT = 'pod-dry-run';

type Any = Record<string, any>;

const pod = (name: string, annotations: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, annotations },
  spec: { containers: [{ name: 'app', image: 'busybox' }] },
});

describe('the pod webhook and kplex admission dry runs', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;
  let hostApi: HostClient;
  let hostNs: string;
  let kplexUser: string;

  /** A pod POSTed straight to the host as `user` (impersonated by the host admin). */
  async function hostCreate(
    body: unknown,
    o: { user: string; dryRun: boolean },
  ): Promise<{ status: number; body: Any }> {
    const res = await hostApi.dispatcher.request({
      origin: hostApi.origin,
      path: `${hostApi.basePath}/api/v1/namespaces/${hostNs}/pods${o.dryRun ? '?dryRun=All' : ''}`,
      method: 'POST',
      headers: {
        ...hostApi.headers({ accept: 'application/json', 'content-type': 'application/json' }),
        'impersonate-user': o.user,
        // The admin's rights, under the user name the matchCondition reads.
        'impersonate-group': 'system:masters',
      },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Any };
  }

  const translated = (p: Any): boolean => typeof p.metadata?.annotations?.[ANNOTATION_NAMESPACE] === 'string';

  beforeAll(async () => {
    env = await startTenantEnv(host);
    kc = await env.tenant(TENANT);
    hostApi = await apiClient(host.kubeconfig);
    kubectlOk(kc, ['create', 'namespace', 'app']);
    // The first pod makes the namespace's host namespace.
    kubectlOk(
      kc,
      ['apply', '-f', '-'],
      JSON.stringify({ ...pod('first'), metadata: { name: 'first', namespace: 'app' } }),
    );
    const nss = await hostApi.request<{ items: Any[] }>(
      'GET',
      `/api/v1/namespaces?labelSelector=${encodeURIComponent(`kplex.io/tenant=${TENANT},kplex.io/namespace=app`)}`,
    );
    hostNs = nss.body.items[0]!.metadata.name;
    // kplex's host user, as its registration names it.
    const cfg = await hostApi.request<Any>(
      'GET',
      `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${WEBHOOK_CONFIGURATION}`,
    );
    const cond = (cfg.body.webhooks[0].matchConditions as Any[]).find(
      (c) => c.name === 'not-kplex-admission-dry-run',
    );
    kplexUser = JSON.parse(/username == ("(?:[^"\\]|\\.)*")/.exec(String(cond?.expression))![1]!) as string;
  });
  afterAll(async () => env?.close());

  it('a pod created through kplex is stored translated, without the marker', async () => {
    const p = await hostApi.request<Any>('GET', `/api/v1/namespaces/${hostNs}/pods/first`);
    expect(p.status).toBe(200);
    expect(translated(p.body)).toBe(true);
    expect(p.body.metadata.annotations[ANNOTATION_ADMISSION_DRY_RUN]).toBeUndefined();
  });

  it("kplex's marked dry run is not translated (the webhook is not called)", async () => {
    const r = await hostCreate(pod('marked', { [ANNOTATION_ADMISSION_DRY_RUN]: 'true' }), {
      user: kplexUser,
      dryRun: true,
    });
    expect(r.status).toBe(201);
    expect(translated(r.body)).toBe(false);
  });

  it('the same dry run without the marker is translated', async () => {
    const r = await hostCreate(pod('unmarked'), { user: kplexUser, dryRun: true });
    expect(r.status).toBe(201);
    expect(translated(r.body)).toBe(true);
  });

  it('a marked pod that is stored is translated', async () => {
    const r = await hostCreate(pod('stored', { [ANNOTATION_ADMISSION_DRY_RUN]: 'true' }), {
      user: kplexUser,
      dryRun: false,
    });
    expect(r.status).toBe(201);
    expect(translated(r.body)).toBe(true);
    await hostApi.request('DELETE', `/api/v1/namespaces/${hostNs}/pods/stored?gracePeriodSeconds=0`);
  });

  it("another user's marked dry run is translated", async () => {
    const r = await hostCreate(pod('other', { [ANNOTATION_ADMISSION_DRY_RUN]: 'true' }), {
      user: 'kplex-test-someone-else',
      dryRun: true,
    });
    expect(r.status).toBe(201);
    expect(translated(r.body)).toBe(true);
  });

  it("a tenant's marker is dropped, and its pod is translated (own dry run too)", async () => {
    const m = { ...pod('tenant-marked', { [ANNOTATION_ADMISSION_DRY_RUN]: 'true' }) };
    (m.metadata as Any).namespace = 'app';
    kubectlOk(kc, ['create', '--dry-run=server', '-f', '-'], JSON.stringify(m));
    kubectlOk(kc, ['create', '-f', '-'], JSON.stringify(m));
    const p = await hostApi.request<Any>('GET', `/api/v1/namespaces/${hostNs}/pods/tenant-marked`);
    expect(translated(p.body)).toBe(true);
    expect(p.body.metadata.annotations?.[ANNOTATION_ADMISSION_DRY_RUN]).toBeUndefined();
  });
});
