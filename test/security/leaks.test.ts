// [leaks] Attacks that make the host answer with errors, warnings, events, tables and watch
// events, and scan every byte the attacker received for the host's names: host namespace names
// (its own and another tenant's), the other tenant's name and objects, and kplex's own `kplex-`
// host names. What the attacker sent itself is blanked before the scan (the apiserver echoes it).
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { apiClient } from '../helpers/api-client.js';
import { kubectl } from '../helpers/kubectl.js';
import { attack, expectStatus, securityEnv, type SecurityEnv } from './harness.js';
import { Attacker, expectNoLeak, hostNamespaceOf, sleep } from './raw-scan.js';

const A = 'sl-a';
const B = 'sl-b';
const VICTIM_NS = 'victim-private';

describe('leaks', () => {
  let s: SecurityEnv;
  let a: Attacker;
  let forbidden: (string | RegExp)[] = [];
  const scan = (who: Attacker = a): void => expectNoLeak(who, forbidden);

  const pod = (name: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'x' }], ...extra },
  });

  beforeAll(async () => {
    s = await securityEnv([A, B]);
    a = new Attacker(s.api[A]!);
    const b = s.api[B]!;
    expect(
      (
        await b.request('POST', '/api/v1/namespaces', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: VICTIM_NS },
        })
      ).status,
    ).toBe(201);
    for (const ns of ['default', VICTIM_NS]) {
      const r = await b.request('POST', `/api/v1/namespaces/${ns}/configmaps`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'victim-cm' },
      });
      expect(r.status).toBe(201);
    }
    expect(
      (
        await s.api[A]!.request('POST', '/api/v1/namespaces', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'second' },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await s.api[A]!.request('POST', '/api/v1/namespaces/default/configmaps', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'mine' },
        })
      ).status,
    ).toBe(201);
    const hostNames: string[] = [];
    for (const [t, ns] of [
      [A, 'default'],
      [A, 'second'],
      [B, 'default'],
      [B, VICTIM_NS],
    ] as const) {
      let h: string | undefined;
      for (let i = 0; i < 50 && !(h = await hostNamespaceOf(s.hostApi, t, ns)); i++) await sleep(100);
      hostNames.push(h!);
    }
    forbidden = [...hostNames, B, VICTIM_NS, 'victim-cm', /kplex-[a-z0-9]/];
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  attack(
    'leaks',
    'Event validation errors name the virtual namespace (involvedObject in a namespace without a host namespace)',
    async () => {
      for (const ns of ['ghost', 'second']) {
        const r = await a.raw('POST', '/api/v1/namespaces/default/events', {
          body: {
            apiVersion: 'v1',
            kind: 'Event',
            metadata: { name: `ev-${ns}` },
            involvedObject: { kind: 'Pod', name: 'p', namespace: ns },
            reason: 'R',
            message: 'm',
          },
        });
        expectStatus(r, 422, 'Invalid');
        expect((r.json as { message: string }).message).toContain(`Invalid value: "${ns}"`);
      }
      const ev2 = await a.raw('POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
        body: {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: { name: 'ev2' },
          eventTime: new Date().toISOString().replace(/\.\d+Z$/, '.000000Z'),
          reportingController: 'x/y',
          reportingInstance: 'i',
          action: 'A',
          reason: 'R',
          type: 'Normal',
          regarding: { kind: 'Pod', name: 'p', namespace: 'ghost' },
        },
      });
      expect([201, 422], ev2.text).toContain(ev2.status);
      scan();
    },
  );

  attack('leaks', 'AlreadyExists and Conflict (409) details', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mine' } };
    expectStatus(
      await a.raw('POST', '/api/v1/namespaces/default/configmaps', { body: cm }),
      409,
      'AlreadyExists',
    );
    const stale = { ...cm, metadata: { name: 'mine', resourceVersion: '1' } };
    expectStatus(
      await a.raw('PUT', '/api/v1/namespaces/default/configmaps/mine', { body: stale }),
      409,
      'Conflict',
    );
    scan();
  });

  attack('leaks', "a pod's missing ServiceAccount: the host's lookup error names the namespace", async () => {
    const r = await a.raw('POST', '/api/v1/namespaces/default/pods', {
      body: pod('sa-less', { serviceAccountName: 'robot' }),
    });
    expectStatus(r, 403, 'Forbidden');
    expect(r.text).toContain('default/robot');
    scan();
  });

  attack('leaks', 'invalid objects (422): messages, causes and field paths', async () => {
    for (const body of [
      pod('Bad_Name'),
      pod('bad-container', { containers: [{ name: 'C_', image: '' }] }),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'svc' },
        spec: { ports: [{ port: 0 }], clusterIP: '1.2.3' },
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'cm',
          namespace: 'default',
          ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: '', uid: '' }],
        },
      },
    ]) {
      const res =
        (body as { kind: string }).kind === 'Pod'
          ? 'pods'
          : (body as { kind: string }).kind === 'Service'
            ? 'services'
            : 'configmaps';
      const r = await a.raw('POST', `/api/v1/namespaces/default/${res}`, { body });
      expect(r.status).toBe(422);
    }
    scan();
  });

  attack('leaks', 'Warning headers of the host', async () => {
    const r = await a.raw('POST', '/api/v1/namespaces/default/pods?dryRun=All', {
      body: pod('warned', { nodeSelector: { 'beta.kubernetes.io/arch': 'amd64' } }),
    });
    expect(r.status, r.text).toBe(201);
    expect(String(r.headers['warning'] ?? '')).toContain('beta.kubernetes.io/arch');
    scan();
  });

  attack('leaks', 'Table output, events and their cells (scheduler messages)', async () => {
    expect((await a.raw('POST', '/api/v1/namespaces/default/pods', { body: pod('scheduled') })).status).toBe(
      201,
    );
    let text = '';
    for (let i = 0; i < 50 && !text.includes('Successfully assigned'); i++) {
      text = (
        await a.raw('GET', '/api/v1/events', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' })
      ).text;
      await sleep(200);
    }
    expect(text).toContain('Successfully assigned default/scheduled');
    await a.raw('GET', '/api/v1/pods', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    await a.raw('GET', '/apis/events.k8s.io/v1/events?limit=2');
    await a.raw('GET', '/api/v1/namespaces/default/pods/scheduled', { accept: 'application/yaml' });
    scan();
  });

  attack('leaks', 'watch ERROR events (expired resourceVersion, bad selectors)', async () => {
    const w = await a.raw('GET', '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1', {
      readMs: 1500,
    });
    expect(w.status).toBe(200);
    await a.raw('GET', '/api/v1/configmaps?watch=true&resourceVersion=1', { readMs: 1500 });
    await a.raw('GET', '/api/v1/configmaps?watch=true&labelSelector=a%20in%20', { readMs: 1000 });
    await a.raw('GET', '/api/v1/namespaces/ghost/configmaps?watch=true&resourceVersion=1', { readMs: 1000 });
    scan();
  });

  attack(
    'leaks',
    'dry-run answers and errors from a namespace without a host namespace (stand-in namespace)',
    async () => {
      const kc = await s.env.tenant('sl-fresh');
      const fresh = new Attacker(await apiClient(kc));
      try {
        expect(
          (await fresh.raw('POST', '/api/v1/namespaces/default/pods?dryRun=All', { body: pod('dry') }))
            .status,
        ).toBe(201);
        const sa = await fresh.raw('POST', '/api/v1/namespaces/default/pods?dryRun=All', {
          body: pod('dry-sa', { serviceAccountName: 'robot' }),
        });
        expectStatus(sa, 403, 'Forbidden');
        expect(sa.text).toContain('default/robot');
        await fresh.raw('POST', '/api/v1/namespaces/default/events?dryRun=All', {
          body: {
            apiVersion: 'v1',
            kind: 'Event',
            metadata: { name: 'e' },
            involvedObject: { kind: 'Pod', name: 'p', namespace: 'other' },
          },
        });
        scan(fresh);
      } finally {
        await fresh.api.close();
      }
    },
  );

  attack(
    'leaks',
    'container logs of a pod the host cannot reach (the kubelet URL names the namespace)',
    async () => {
      expect((await a.raw('POST', '/api/v1/namespaces/default/pods', { body: pod('logs') })).status).toBe(
        201,
      );
      await sleep(1000);
      for (const q of ['', '?container=nope', '?previous=true', '?tailLines=1&timestamps=true']) {
        const r = await a.raw('GET', `/api/v1/namespaces/default/pods/logs/log${q}`);
        expect(r.status).toBeGreaterThanOrEqual(200);
      }
      await a.raw('GET', '/api/v1/namespaces/ghost/pods/logs/log');
      scan();
    },
  );

  attack('leaks', 'quota and limit errors (403 exceeded quota)', async () => {
    expect(
      (
        await a.raw('POST', '/api/v1/namespaces/second/resourcequotas', {
          body: {
            apiVersion: 'v1',
            kind: 'ResourceQuota',
            metadata: { name: 'q' },
            spec: { hard: { pods: '0', configmaps: '1' } },
          },
        })
      ).status,
    ).toBe(201);
    let r = await a.raw('POST', '/api/v1/namespaces/second/pods', { body: pod('over') });
    for (let i = 0; i < 30 && r.status !== 403; i++) {
      await sleep(200);
      r = await a.raw('POST', '/api/v1/namespaces/second/pods', { body: pod(`over-${i}`) });
    }
    expectStatus(r, 403, 'Forbidden');
    expect(r.text).toContain('exceeded quota');
    scan();
  });

  attack('leaks', "allocation errors for another tenant's Service IP and NodePort", async () => {
    // The victim's Tenant allows node ports (none by default, docs/security.md Workload isolation).
    const tenants = '/apis/kplex.io/v1alpha1/tenants';
    const policy = (p: unknown) =>
      s.hostApi.request('PATCH', `${tenants}/${B}`, { spec: { policy: p } }, 'application/merge-patch+json');
    expect((await policy({ nodePorts: 1 })).status).toBe(200);
    const victimSvc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'victim-svc' },
      spec: { type: 'NodePort', ports: [{ port: 80 }] },
    };
    let victim = await s.api[B]!.request<{ spec: { clusterIP: string; ports: { nodePort: number }[] } }>(
      'POST',
      `/api/v1/namespaces/${VICTIM_NS}/services`,
      victimSvc,
    );
    for (let i = 0; i < 100 && victim.status === 403; i++) {
      await sleep(100); // the policy reaches kplex by its Tenant watch
      victim = await s.api[B]!.request('POST', `/api/v1/namespaces/${VICTIM_NS}/services`, victimSvc);
    }
    expect(victim.status).toBe(201);
    expect((await policy(null)).status).toBe(200);
    const r = await a.raw('POST', '/api/v1/namespaces/default/services', {
      body: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'steal' },
        spec: {
          type: 'NodePort',
          clusterIP: victim.body.spec.clusterIP,
          ports: [{ port: 80, nodePort: victim.body.spec.ports[0]!.nodePort }],
        },
      },
    });
    // kplex refuses a fixed ClusterIP and node port before the host could say who holds them.
    expect(r.status).toBe(403);
    scan();
  });

  attack('leaks', 'server-side apply conflicts and patch errors', async () => {
    const cfg = (v: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ssa' },
      data: { k: v },
    });
    expect(
      (
        await a.raw('PATCH', '/api/v1/namespaces/default/configmaps/ssa?fieldManager=one', {
          body: cfg('1'),
          contentType: 'application/apply-patch+yaml',
        })
      ).status,
    ).toBe(201);
    expectStatus(
      await a.raw('PATCH', '/api/v1/namespaces/default/configmaps/ssa?fieldManager=two', {
        body: cfg('2'),
        contentType: 'application/apply-patch+yaml',
      }),
      409,
      'Conflict',
    );
    expect(
      (
        await a.raw('PATCH', '/api/v1/namespaces/default/configmaps/ssa', {
          body: [{ op: 'test', path: '/data/k', value: 'x' }],
          contentType: 'application/json-patch+json',
        })
      ).status,
    ).toBe(422);
    expectStatus(
      await a.raw('PATCH', '/api/v1/namespaces/default/configmaps/none', {
        body: { data: {} },
        contentType: 'application/merge-patch+json',
      }),
      404,
      'NotFound',
    );
    scan();
  });

  attack('leaks', 'eviction and binding answers', async () => {
    expect((await a.raw('POST', '/api/v1/namespaces/default/pods', { body: pod('evictee') })).status).toBe(
      201,
    );
    await a.raw('POST', '/api/v1/namespaces/default/pods/evictee/eviction', {
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'evictee', namespace: 'second' } },
    });
    await a.raw('POST', '/api/v1/namespaces/default/pods/nope/eviction', {
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'nope' } },
    });
    await a.raw('POST', '/api/v1/namespaces/default/pods/scheduled/binding', {
      body: {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'scheduled' },
        target: { kind: 'Node', name: 'nowhere' },
      },
    });
    scan();
  });

  attack('leaks', 'kubectl describe, get -o yaml and events as a user sees them', async () => {
    const kc = s.kc[A]!;
    for (const args of [
      ['describe', 'pod', 'scheduled'],
      ['describe', 'pods', '-A'],
      ['describe', 'namespace', 'second'],
      ['get', 'events', '-A', '-o', 'wide'],
      ['get', 'all', '-A', '-o', 'yaml'],
      ['auth', 'can-i', '--list'],
      ['create', 'deployment', 'web', '--image=x', '--dry-run=server', '-o', 'yaml'],
    ]) {
      const r = kubectl(kc, args);
      a.record(r.stdout + r.stderr, ...args);
    }
    scan();
  });

  attack('leaks', 'a ReplicaSet that cannot create pods: controller conditions and events', async () => {
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'no-sa' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'no-sa' } },
        template: {
          metadata: { labels: { app: 'no-sa' } },
          spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'x' }] },
        },
      },
    };
    expect((await a.raw('POST', '/apis/apps/v1/namespaces/default/deployments', { body: dep })).status).toBe(
      201,
    );
    let text = '';
    for (let i = 0; i < 75 && !text.includes('ReplicaFailure'); i++) {
      await sleep(200);
      text = (await a.raw('GET', '/apis/apps/v1/namespaces/default/replicasets')).text;
    }
    expect(text).toContain('ReplicaFailure');
    expect(text).toContain('default/robot');
    await a.raw('GET', '/api/v1/namespaces/default/events?fieldSelector=reason%3DFailedCreate');
    scan();
  });

  attack(
    'leaks',
    'the whole session: no host namespace, other tenant or kplex host name in any byte received',
    async () => {
      await a.raw('GET', '/api/v1/configmaps?limit=1');
      await a.raw('GET', '/api/v1/namespaces/second/configmaps?limit=1&continue=garbage');
      await a.raw('GET', `/api/v1/namespaces/${VICTIM_NS}/configmaps/victim-cm`);
      scan();
      expect(a.seen.length).toBeGreaterThan(30);
    },
  );
});
