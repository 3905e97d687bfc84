// A tenant's admission webhooks are calls kplex makes on the tenant's word: they must reach only
// the tenant's own Services (never another tenant's, never the host's apiserver, kplex itself or
// cloud metadata: no SSRF through kplex), `url:` only where the Tenant's policy allows it, with
// bounded answers and timeouts, and one tenant's slow webhook must not slow another tenant.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { kubectlOk } from '../helpers/kubectl.js';
import {
  exposeWebhook,
  type HookSpec,
  hostNamespace,
  webhookConfiguration,
} from '../helpers/webhook-config.js';
import { machineIP, startWebhookServer, type WebhookServer } from '../helpers/webhook-server.js';
import { attack, securityEnv, victimLatency, type SecurityEnv } from './harness.js';

const A = 'sec-wh-a';
const V = 'sec-wh-v';
type Status = { message?: string; reason?: string; code?: number };

describe('tenant admission webhooks', () => {
  let s: SecurityEnv;
  let server: WebhookServer;
  let n = 0;

  /** Registers one validating webhook for ConfigMaps in A, POSTs a ConfigMap, deletes the webhook. */
  async function writeUnder(h: Partial<HookSpec>, kind: 'Validating' | 'Mutating' = 'Validating') {
    const name = `probe-${++n}`;
    const spec: HookSpec = {
      name: `${name}.sec.example.test`,
      path: '/allow',
      resources: [{ group: '', resource: 'configmaps' }],
      caBundle: server.caBundle,
      namespaceSelector: { matchLabels: { probe: 'on' } },
      ...h,
    };
    kubectlOk(s.kc[A]!, ['apply', '-f', '-'], JSON.stringify(webhookConfiguration(kind, name, [spec])));
    try {
      return await s.api[A]!.request<Status>('POST', '/api/v1/namespaces/probed/configmaps', {
        metadata: { name },
      });
    } finally {
      kubectlOk(s.kc[A]!, ['delete', `${kind.toLowerCase()}webhookconfiguration`, name]);
    }
  }
  const setWebhookURLs = (on: boolean) =>
    kubectlOk(s.host.kubeconfig, [
      'patch',
      'tenant',
      A,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { policy: { webhookURLs: on ? true : null } } }),
    ]);
  /** Waits until kplex saw the Tenant policy (a url webhook to nowhere stops saying "does not allow"). */
  async function urlsAllowed() {
    setWebhookURLs(true);
    for (let i = 0; i < 100; i++) {
      const r = await writeUnder({ url: 'https://169.254.169.254', service: undefined });
      if (!r.body.message?.includes('does not allow')) return;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error('the Tenant policy never reached kplex');
  }

  beforeAll(async () => {
    server = await startWebhookServer(['hook.hooks.svc', 'hook.ownhooks.svc']);
    s = await securityEnv([A, V]);
    kubectlOk(s.kc[A]!, ['create', 'ns', 'probed']);
    kubectlOk(s.kc[A]!, ['label', 'ns', 'probed', 'probe=on']);
    kubectlOk(s.kc[V]!, ['create', 'ns', 'hooks']);
    exposeWebhook(
      { tenantKubeconfig: s.kc[V]!, hostKubeconfig: s.host.kubeconfig, tenant: V, ns: 'hooks', name: 'hook' },
      server,
    );
  }, 120_000);
  afterAll(async () => {
    await s?.close();
    await server?.close();
  });

  attack(
    'namespaces',
    "a webhook naming another tenant's Service (its namespace and name) reaches nothing",
    async () => {
      const before = (await server.received('/deny')).length;
      const r = await writeUnder({ path: '/deny', service: { namespace: 'hooks', name: 'hook' } });
      expect(r.status).toBe(500);
      expect(r.body.message).toContain('service "hook" not found');
      // With a namespace of its own of that name, the name resolves in A's own host namespace only.
      kubectlOk(s.kc[A]!, ['create', 'ns', 'hooks']);
      const again = await writeUnder({ path: '/deny', service: { namespace: 'hooks', name: 'hook' } });
      expect(again.body.message).toContain('service "hook" not found');
      expect((await server.received('/deny')).length).toBe(before);
    },
  );

  attack('namespaces', "a webhook naming the victim's HOST namespace reaches nothing", async () => {
    const before = (await server.received('/deny')).length;
    const victimHostNs = hostNamespace(s.host.kubeconfig, V, 'hooks');
    const r = await writeUnder({ path: '/deny', service: { namespace: victimHostNs, name: 'hook' } });
    expect(r.status).toBe(500);
    expect(r.body.message).toContain('service "hook" not found');
    expect((await server.received('/deny')).length).toBe(before);
  });

  attack(
    'leaks',
    "a url webhook at the host's apiserver is refused while the Tenant's policy does not allow urls",
    async () => {
      const r = await writeUnder({ url: s.hostApi.origin, path: '/api/v1/namespaces', service: undefined });
      expect(r.status).toBe(500);
      expect(r.body.message).toContain("the Tenant's policy does not allow url webhooks");
    },
  );

  attack(
    'leaks',
    "a url webhook at the host's apiserver, kplex itself or link-local metadata is refused even where urls are allowed",
    async () => {
      await urlsAllowed();
      try {
        const kplex = `https://127.0.0.1:${s.env.kplex.port}`;
        for (const [url, why] of [
          [s.hostApi.origin, "is the host's apiserver"],
          [kplex, 'is kplex itself'],
          [`https://${machineIP()}:${s.env.kplex.port}`, 'is kplex itself'],
          ['https://169.254.169.254', 'link-local'],
          ['https://[::]:443', 'unspecified'],
        ] as const) {
          const r = await writeUnder({ url, path: '/', service: undefined });
          expect(r.status, url).toBe(500);
          expect(r.body.message, url).toContain(why);
        }
        // The same webhook at the test server works: the refusals are the guard's, not the network's.
        const ok = await writeUnder({
          url: `https://${server.ip}:${server.port}`,
          path: '/deny',
          service: undefined,
        });
        expect(ok.status).toBe(403);
      } finally {
        setWebhookURLs(false);
      }
    },
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
      const r = await writeUnder({ service: { namespace: 'selfhooks', name: 'self' } });
      expect(r.status).toBe(500);
      expect(r.body.message).toContain('is kplex itself');
      expect(r.body.message).toContain('https://self.selfhooks.svc:443/allow');
      expect(r.body.message).not.toContain(hostNamespace(s.host.kubeconfig, A, 'selfhooks'));
    },
  );

  attack('leaks', "the tenant's kubernetes Service (kplex's own) is never a webhook target", async () => {
    const r = await writeUnder({ service: { namespace: 'default', name: 'kubernetes' } });
    expect(r.status).toBe(500);
    expect(r.body.message).toMatch(/is kplex itself|not found|no endpoints/);
  });

  attack('bodies', 'a webhook answer larger than 4 MiB is cut off and fails the call', async () => {
    kubectlOk(s.kc[A]!, ['create', 'ns', 'ownhooks']);
    exposeWebhook(
      {
        tenantKubeconfig: s.kc[A]!,
        hostKubeconfig: s.host.kubeconfig,
        tenant: A,
        ns: 'ownhooks',
        name: 'hook',
      },
      server,
    );
    const r = await writeUnder({ path: '/huge', service: { namespace: 'ownhooks', name: 'hook' } });
    expect(r.status).toBe(500);
    expect(r.body.message).toContain('response larger than');
  });

  attack('malformed', 'a webhook answer for another request (wrong uid) is refused', async () => {
    const r = await writeUnder({ path: '/bad-uid', service: { namespace: 'ownhooks', name: 'hook' } });
    expect(r.status).toBe(500);
    expect(r.body.message).toContain('expected response.uid=');
  });

  attack('malformed', 'a mutating webhook cannot move an object into another namespace', async () => {
    const r = await writeUnder(
      { path: '/move', service: { namespace: 'ownhooks', name: 'hook' } },
      'Mutating',
    );
    expect(r.status).toBe(500);
    expect(r.body.message).toContain('attempted to change metadata.namespace');
  });

  attack('malformed', 'a webhook whose certificate the caBundle does not verify is not trusted', async () => {
    const r = await writeUnder({
      path: '/allow',
      caBundle: undefined,
      service: { namespace: 'ownhooks', name: 'hook' },
    });
    expect(r.status).toBe(500);
    expect(r.body.message).toContain('tls: failed to verify certificate');
  });

  attack(
    'namespaces',
    "a tenant's pod webhook never sees another tenant's pods (made by host controllers or through kplex)",
    async () => {
      const name = 'all-pods';
      kubectlOk(
        s.kc[A]!,
        ['apply', '-f', '-'],
        JSON.stringify(
          webhookConfiguration('Validating', name, [
            {
              name: `${name}.sec.example.test`,
              path: '/allow',
              resources: [{ group: '', resource: 'pods' }],
              service: { namespace: 'ownhooks', name: 'hook' },
              caBundle: server.caBundle,
            },
          ]),
        ),
      );
      try {
        kubectlOk(s.kc[V]!, ['create', 'deployment', 'victim-web', '--image=nginx', '-n', 'hooks']);
        kubectlOk(s.kc[V]!, ['run', 'victim-pod', '--image=nginx', '-n', 'hooks']);
        kubectlOk(s.kc[V]!, [
          'wait',
          '--for=create',
          'pod',
          '-l',
          'app=victim-web',
          '-n',
          'hooks',
          '--timeout=60s',
        ]);
        // A's own pod, made by its own Deployment, is seen: the webhook works.
        kubectlOk(s.kc[A]!, ['create', 'deployment', 'own-web', '--image=nginx', '-n', 'probed']);
        kubectlOk(s.kc[A]!, [
          'wait',
          '--for=create',
          'pod',
          '-l',
          'app=own-web',
          '-n',
          'probed',
          '--timeout=60s',
        ]);
        const seen = await server.received('/allow');
        expect(
          seen.some((q) => q.namespace === 'probed' && q.object?.metadata?.labels?.['app'] === 'own-web'),
        ).toBe(true);
        expect(seen.filter((q) => q.namespace === 'hooks' || JSON.stringify(q).includes('victim'))).toEqual(
          [],
        );
      } finally {
        kubectlOk(s.kc[A]!, ['delete', 'validatingwebhookconfiguration', name]);
      }
    },
  );

  attack('exhaustion', "one tenant's slow webhooks do not slow another tenant", async () => {
    const name = 'slow-flood';
    kubectlOk(
      s.kc[A]!,
      ['apply', '-f', '-'],
      JSON.stringify(
        webhookConfiguration('Validating', name, [
          {
            name: `${name}.sec.example.test`,
            path: '/slow',
            resources: [{ group: '', resource: 'configmaps' }],
            service: { namespace: 'ownhooks', name: 'hook' },
            caBundle: server.caBundle,
            timeoutSeconds: 2,
          },
        ]),
      ),
    );
    try {
      const stats = await victimLatency(s.api[V]!, '/api/v1/namespaces/hooks/services', () =>
        Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            s.api[A]!.request('POST', '/api/v1/namespaces/probed/configmaps', {
              metadata: { name: `slow-${i}` },
            }),
          ),
        ),
      );
      expect(stats.errors).toBe(0);
      expect(stats.p99).toBeLessThanOrEqual(100);
    } finally {
      kubectlOk(s.kc[A]!, ['delete', 'validatingwebhookconfiguration', name]);
    }
  });
});
