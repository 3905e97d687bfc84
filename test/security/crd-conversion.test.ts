// A tenant CRD's conversion webhook is a call kplex makes on the tenant's word whenever an object
// is read or written in another version than it is stored in: like the tenant's admission
// webhooks it must reach only the tenant's own Services (never another tenant's, the host's
// apiserver, kplex itself or cloud metadata), `url:` only where the Tenant's policy allows it;
// a lying webhook cannot rename, move or forge an object; answers are bounded in size and time;
// and a tenant whose webhook hangs does not slow another tenant.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { kubectlOk } from '../helpers/kubectl.js';
import { exposeWebhook, hostNamespace } from '../helpers/webhook-config.js';
import { machineIP, startWebhookServer, type WebhookServer } from '../helpers/webhook-server.js';
import { attack, securityEnv, victimLatency, type SecurityEnv } from './harness.js';

const A = 'sec-cv-a';
const V = 'sec-cv-v';
const GROUP = 'sec-conv.example.test';
type Status = { message?: string; reason?: string; code?: number };
/** kubectl without blocking the test's event loop (the victim's requests go on meanwhile). */
const kubectlAsync = (kubeconfig: string, args: string[]) =>
  new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 120_000 }, (err, _out, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    ),
  );
type ClientConfig = { url?: string; service?: Record<string, unknown>; caBundle?: string };

describe('CRD conversion webhooks', () => {
  let s: SecurityEnv;
  let server: WebhookServer;
  let n = 0;

  /** A CRD of A (v1 storage, v2) converting through `cc`. */
  function install(cc: ClientConfig): { plural: string; kind: string } {
    const kind = `Probe${++n}`;
    const plural = `probe${n}s`;
    const crd = {
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
          storage: name === 'v1',
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        })),
        conversion: {
          strategy: 'Webhook',
          webhook: { clientConfig: { caBundle: server.caBundle, ...cc }, conversionReviewVersions: ['v1'] },
        },
      },
    };
    kubectlOk(s.kc[A]!, ['apply', '-f', '-'], JSON.stringify(crd));
    kubectlOk(s.kc[A]!, ['wait', '--for=condition=Established', `crd/${plural}.${GROUP}`]);
    return { plural, kind };
  }
  const path = (plural: string, v: string, name = '') =>
    `/apis/${GROUP}/${v}/namespaces/probed/${plural}${name ? `/${name}` : ''}`;
  /** Creates an object in v1 (no conversion) and reads it in v2 (a conversion) under `cc`. */
  async function readUnder(cc: ClientConfig) {
    const { plural, kind } = install(cc);
    try {
      const c = await s.api[A]!.request('POST', path(plural, 'v1'), {
        apiVersion: `${GROUP}/v1`,
        kind,
        metadata: { name: 'x' },
        spec: { hostPort: 'h:1' },
      });
      expect(c.status).toBe(201);
      const r = await s.api[A]!.request<Status>('GET', path(plural, 'v2', 'x'));
      // Whatever the webhook did, the stored object is intact in its own version.
      const stored = await s.api[A]!.request<Record<string, any>>('GET', path(plural, 'v1', 'x'));
      expect(stored.body?.['metadata']).toMatchObject({ name: 'x', namespace: 'probed' });
      expect(stored.body?.['spec']).toEqual({ hostPort: 'h:1' });
      return r;
    } finally {
      kubectlOk(s.kc[A]!, ['delete', 'crd', `${plural}.${GROUP}`, '--wait=false']);
    }
  }
  const own = (p: string): ClientConfig => ({ service: { namespace: 'ownhooks', name: 'conv', path: p } });
  const setWebhookURLs = (on: boolean) =>
    kubectlOk(s.host.kubeconfig, [
      'patch',
      'tenant',
      A,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { policy: { webhookURLs: on ? true : null } } }),
    ]);

  beforeAll(async () => {
    server = await startWebhookServer(['conv.hooks.svc', 'conv.ownhooks.svc']);
    s = await securityEnv([A, V]);
    kubectlOk(s.kc[A]!, ['create', 'ns', 'probed']);
    kubectlOk(s.kc[A]!, ['create', 'ns', 'ownhooks']);
    kubectlOk(s.kc[V]!, ['create', 'ns', 'hooks']);
    for (const [t, ns] of [
      [V, 'hooks'],
      [A, 'ownhooks'],
    ] as const)
      exposeWebhook(
        { tenantKubeconfig: s.kc[t]!, hostKubeconfig: s.host.kubeconfig, tenant: t, ns, name: 'conv' },
        server,
      );
  }, 120_000);
  afterAll(async () => {
    await s?.close();
    await server?.close();
  });

  attack('namespaces', "a conversion webhook naming another tenant's Service reaches nothing", async () => {
    const before = (await server.received('/convert')).length;
    const r = await readUnder({ service: { namespace: 'hooks', name: 'conv', path: '/convert' } });
    expect(r.status).toBe(500);
    expect(r.body?.message).toContain('service "conv" not found');
    expect((await server.received('/convert')).length).toBe(before);
  });

  attack(
    'namespaces',
    "a conversion webhook naming the victim's HOST namespace reaches nothing",
    async () => {
      const before = (await server.received('/convert')).length;
      const victimHostNs = hostNamespace(s.host.kubeconfig, V, 'hooks');
      const r = await readUnder({ service: { namespace: victimHostNs, name: 'conv', path: '/convert' } });
      expect(r.status).toBe(500);
      expect(r.body?.message).toContain('service "conv" not found');
      expect((await server.received('/convert')).length).toBe(before);
    },
  );

  attack('namespaces', "the tenant's own Service works: the refusals above are the boundary's", async () => {
    const r = await readUnder(own('/convert'));
    expect(r.status).toBe(200);
    expect((r.body as Record<string, any>)['spec']).toEqual({ host: 'h', port: '1' });
    const seen = (await server.received('/convert')).at(-1) as unknown as { objects: { metadata: object }[] };
    // The webhook sees the tenant's names, never the host namespace.
    expect(seen.objects[0]!.metadata).toMatchObject({ namespace: 'probed' });
  });

  attack(
    'leaks',
    "a url conversion webhook is refused while the Tenant's policy does not allow urls",
    async () => {
      const r = await readUnder({ url: `https://${server.ip}:${server.port}/convert` });
      expect(r.status).toBe(500);
      expect(r.body?.message).toContain("the Tenant's policy does not allow url webhooks");
    },
  );

  attack(
    'leaks',
    "a url conversion webhook at the host's apiserver, kplex itself or link-local is refused even where urls are allowed",
    async () => {
      setWebhookURLs(true);
      try {
        // Until kplex has seen the policy, a url is refused for the policy; then for the address.
        for (let i = 0; i < 100; i++) {
          const r = await readUnder({ url: `https://${server.ip}:${server.port}/convert` });
          if (r.status === 200) break;
          await new Promise((res) => setTimeout(res, 200));
        }
        for (const [url, why] of [
          [`${s.hostApi.origin}/api`, "is the host's apiserver"],
          [`https://127.0.0.1:${s.env.kplex.port}/`, 'is kplex itself'],
          [`https://${machineIP()}:${s.env.kplex.port}/`, 'is kplex itself'],
          ['https://169.254.169.254/latest', 'link-local'],
          ['https://[::]:443/', 'unspecified'],
        ] as const) {
          const r = await readUnder({ url });
          expect(r.status, url).toBe(500);
          expect(r.body?.message, url).toContain(why);
        }
      } finally {
        setWebhookURLs(false);
      }
    },
    180_000,
  );

  attack(
    'leaks',
    "a tenant Service whose endpoints name kplex's own port is refused, and the error names no host address",
    async () => {
      kubectlOk(s.kc[A]!, ['create', 'ns', 'selfhooks']);
      exposeWebhook(
        {
          tenantKubeconfig: s.kc[A]!,
          hostKubeconfig: s.host.kubeconfig,
          tenant: A,
          ns: 'selfhooks',
          name: 'self',
        },
        { ip: machineIP(), port: s.env.kplex.port },
      );
      const r = await readUnder({ service: { namespace: 'selfhooks', name: 'self', path: '/convert' } });
      expect(r.status).toBe(500);
      expect(r.body?.message).toContain('is kplex itself');
      expect(r.body?.message).toContain('https://self.selfhooks.svc:443/convert');
      expect(r.body?.message).not.toContain(hostNamespace(s.host.kubeconfig, A, 'selfhooks'));
    },
  );

  attack('malformed', 'a conversion webhook cannot rename, move or re-identify an object', async () => {
    for (const [p, why] of [
      ['/convert-rename', 'must have the same name: x != x-x'],
      ['/convert-move', 'must have the same namespace: probed != elsewhere'],
      ['/convert-uid', 'must have the same UID'],
    ] as const) {
      const r = await readUnder(own(p));
      expect(r.status, p).toBe(500);
      expect(r.body?.message, p).toContain(why);
    }
  });

  attack('malformed', 'a conversion answer for another request (wrong uid) is refused', async () => {
    const r = await readUnder(own('/convert-bad-uid'));
    expect(r.status).toBe(500);
    expect(r.body?.message).toContain('expected response.uid=');
  });

  attack('malformed', 'a conversion webhook can change labels and annotations only', async () => {
    const r = await readUnder(own('/convert-meta'));
    expect(r.status).toBe(200);
    const meta = (r.body as Record<string, any>)['metadata'];
    expect(meta['labels']).toEqual({ converted: 'yes' });
    expect(meta['generation']).toBe(1);
    expect(meta['finalizers']).toBeUndefined();
  });

  attack(
    'malformed',
    'a conversion webhook whose certificate the caBundle does not verify is not trusted',
    async () => {
      const r = await readUnder({ ...own('/convert'), caBundle: undefined });
      expect(r.status).toBe(500);
      expect(r.body?.message).toContain('tls: failed to verify certificate');
    },
  );

  attack('bodies', 'a conversion answer larger than 4 MiB is cut off and fails the read', async () => {
    const r = await readUnder(own('/convert-huge'));
    expect(r.status).toBe(500);
    expect(r.body?.message).toContain('response larger than 4194304 bytes');
  });

  attack('malformed', 'a conversion answer that is not JSON, or not 2xx, fails the read', async () => {
    const bad = await readUnder(own('/convert-not-json'));
    expect(bad.body?.message).toContain('the response is not JSON');
    const broken = await readUnder(own('/convert-500'));
    expect(broken.body?.message).toContain('the server responded with the status code 500');
  });

  attack(
    'exhaustion',
    "a hanging conversion webhook ends its tenant's reads at the 30 s timeout, and another tenant's reads stay fast",
    async () => {
      const { plural, kind } = install(own('/convert-hang'));
      try {
        for (let i = 0; i < 8; i++)
          await s.api[A]!.request('POST', path(plural, 'v1'), {
            apiVersion: `${GROUP}/v1`,
            kind,
            metadata: { name: `x${i}` },
            spec: { hostPort: 'h:1' },
          });
        kubectlOk(s.kc[V]!, ['create', 'configmap', 'victim', '-n', 'hooks']);
        // kubectl, not the test's API client: that one stops waiting for headers at 30 s.
        let answers: { code: number; stderr: string }[] = [];
        const stats = await victimLatency(
          s.api[V]!,
          '/api/v1/namespaces/hooks/configmaps/victim',
          async () => {
            answers = await Promise.all(
              Array.from({ length: 8 }, (_, i) =>
                kubectlAsync(s.kc[A]!, [
                  'get',
                  `${plural}.v2.${GROUP}`,
                  `x${i}`,
                  '-n',
                  'probed',
                  '--request-timeout=90s',
                ]),
              ),
            );
          },
        );
        for (const a of answers) {
          expect(a.code).not.toBe(0);
          expect(a.stderr).toContain('context deadline exceeded');
        }
        expect(stats.errors).toBe(0);
        expect(stats.p99).toBeLessThanOrEqual(100);
      } finally {
        kubectlOk(s.kc[A]!, ['delete', 'crd', `${plural}.${GROUP}`, '--wait=false']);
      }
    },
    120_000,
  );

  attack('exhaustion', 'a LIST needing conversion sends bounded reviews (100 objects at most)', async () => {
    const { plural, kind } = install(own('/convert'));
    try {
      for (let i = 0; i < 130; i++)
        await s.api[A]!.request('POST', path(plural, 'v1'), {
          apiVersion: `${GROUP}/v1`,
          kind,
          metadata: { name: `x${i}` },
          spec: { hostPort: `h:${i}` },
        });
      const before = (await server.received('/convert')).length;
      const l = await s.api[A]!.request<{ items: unknown[] }>('GET', path(plural, 'v2'));
      expect(l.status).toBe(200);
      expect(l.body?.items).toHaveLength(130);
      const reviews = (await server.received('/convert')).slice(before) as unknown as {
        objects: unknown[];
      }[];
      expect(reviews.map((r) => r.objects.length)).toEqual([100, 30]);
    } finally {
      kubectlOk(s.kc[A]!, ['delete', 'crd', `${plural}.${GROUP}`, '--wait=false']);
    }
  });
});
