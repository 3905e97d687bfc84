// Workload attacks (issue 14): a tenant admin tries to get root on a shared node (privileged and
// host-namespace pods, directly, through controllers and ephemeral containers), to lower its Pod
// Security level, to place pods on nodes or above other tenants' priority, and to capture traffic
// with Service externalIPs. Each attack checks the apiserver-style refusal AND what the host holds.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { attack, expectStatus, securityEnv, type SecurityEnv } from './harness.js';
import { hostNamespaceOf } from './raw-scan.js';

const A = 'sw-a';
const NS = 'work';
const PSA = 'pod-security.kubernetes.io/';
const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';
const APPLY = 'application/apply-patch+yaml';

type Obj = Record<string, unknown>;

const pod = (name: string, spec: Obj = {}, container: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'x', ...container }], ...spec },
});
const template = (name: string, spec: Obj = {}, container: Obj = {}): Obj => ({
  metadata: { labels: { app: name } },
  spec: { containers: [{ name: 'c', image: 'x', ...container }], ...spec },
});
const workload = (kind: string, name: string, spec: Obj = {}, container: Obj = {}): Obj => ({
  apiVersion: 'apps/v1',
  kind,
  metadata: { name },
  spec: { selector: { matchLabels: { app: name } }, template: template(name, spec, container) },
});
const service = (name: string, externalIPs?: string[]): Obj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { ports: [{ port: 80 }], ...(externalIPs ? { externalIPs } : {}) },
});
const PRIV = { securityContext: { privileged: true } };

describe('security: workload isolation', () => {
  let s: SecurityEnv;
  let api: HostClient;
  let hostNs = '';
  const base = `/api/v1/namespaces/${NS}`;

  /** What the host holds at a tenant path (in the tenant's host namespace). */
  const onHost = (path: string) =>
    s.hostApi.request<Obj>('GET', path.replace(`/namespaces/${NS}/`, `/namespaces/${hostNs}/`));
  const hostLabels = async (ns = NS): Promise<Record<string, string>> => {
    const h = await hostNamespaceOf(s.hostApi, A, ns);
    const r = await s.hostApi.request<{ metadata: { labels: Record<string, string> } }>(
      'GET',
      `/api/v1/namespaces/${h}`,
    );
    return r.body.metadata.labels;
  };

  /** A pod that must be refused by the host's PodSecurity admission and never exist on the host. */
  const refusedPod = async (p: Obj, why: string): Promise<void> => {
    const r = await api.request<{ message: string }>('POST', `${base}/pods`, p);
    expectStatus(r, 403, 'Forbidden');
    const name = (p['metadata'] as { name: string }).name;
    expect(r.body.message).toContain(`pods "${name}" is forbidden: violates PodSecurity "baseline:latest"`);
    expect(r.body.message).toContain(why);
    expect(r.body.message).not.toContain(hostNs);
    expect((await onHost(`${base}/pods/${name}`)).status).toBe(404);
  };

  /** A controller's pods are refused by the host: the tenant sees the FailedCreate event, no pod exists. */
  const failedCreate = async (kind: string, path: string, obj: Obj): Promise<void> => {
    const name = (obj['metadata'] as { name: string }).name;
    expect((await api.request('POST', path, obj)).status).toBe(201);
    await expect
      .poll(
        async () => {
          const ev = await api.request<{ items: { message: string; involvedObject: { name: string } }[] }>(
            'GET',
            `${base}/events?fieldSelector=reason%3DFailedCreate`,
          );
          return ev.body.items
            .filter((e) => e.involvedObject.name.startsWith(name))
            .map((e) => e.message)
            .join('\n');
        },
        { timeout: 30_000 },
      )
      .toContain('violates PodSecurity "baseline:latest"');
    const pods = await s.hostApi.request<{ items: unknown[] }>(
      'GET',
      `/api/v1/namespaces/${hostNs}/pods?labelSelector=app%3D${name}`,
    );
    expect(pods.body.items, kind).toHaveLength(0);
  };

  const forbidden = async (res: Promise<{ status: number; body: unknown }>, text: string): Promise<void> => {
    const r = await res;
    expectStatus(r, 403, 'Forbidden');
    expect((r.body as { message: string }).message).toContain(text);
  };

  beforeAll(async () => {
    s = await securityEnv([A]);
    api = s.api[A]!;
    expect(
      (
        await api.request('POST', '/api/v1/namespaces', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: NS },
        })
      ).status,
    ).toBe(201);
    // A baseline pod makes the host namespace and is a target for ephemeral containers and bindings.
    expect((await api.request('POST', `${base}/pods`, pod('plain'))).status).toBe(201);
    hostNs = (await hostNamespaceOf(s.hostApi, A, NS))!;
    expect(hostNs).toBeTruthy();
  });
  afterAll(async () => s?.close());

  // Pod Security: the host's own admission, in virtual names.
  attack('bodies', 'privileged container', () => refusedPod(pod('priv', {}, PRIV), 'privileged'));
  attack('bodies', 'privileged init container', () =>
    refusedPod(pod('privinit', { initContainers: [{ name: 'i', image: 'x', ...PRIV }] }), 'privileged'),
  );
  attack('bodies', 'hostPath / volume', () =>
    refusedPod(pod('root', { volumes: [{ name: 'r', hostPath: { path: '/' } }] }), 'hostPath volumes'),
  );
  attack('bodies', 'hostPath to the container runtime socket', () =>
    refusedPod(
      pod('cri', { volumes: [{ name: 'r', hostPath: { path: '/run/containerd/containerd.sock' } }] }),
      'hostPath volumes',
    ),
  );
  attack('bodies', 'hostPath /etc/kubernetes', () =>
    refusedPod(
      pod('etck', { volumes: [{ name: 'r', hostPath: { path: '/etc/kubernetes' } }] }),
      'hostPath volumes',
    ),
  );
  attack('bodies', 'hostNetwork', () => refusedPod(pod('hnet', { hostNetwork: true }), 'hostNetwork=true'));
  attack('bodies', 'hostPID', () => refusedPod(pod('hpid', { hostPID: true }), 'hostPID=true'));
  attack('bodies', 'hostIPC', () => refusedPod(pod('hipc', { hostIPC: true }), 'hostIPC=true'));
  attack('bodies', 'unsafe sysctl kernel.core_pattern', () =>
    refusedPod(
      pod('sysctl', { securityContext: { sysctls: [{ name: 'kernel.core_pattern', value: '|/x' }] } }),
      'kernel.core_pattern',
    ),
  );
  attack('bodies', 'seccomp Unconfined on the pod', () =>
    refusedPod(
      pod('secpod', { securityContext: { seccompProfile: { type: 'Unconfined' } } }),
      'seccompProfile',
    ),
  );
  attack('bodies', 'seccomp Unconfined on a container', () =>
    refusedPod(
      pod('secctr', {}, { securityContext: { seccompProfile: { type: 'Unconfined' } } }),
      'seccompProfile',
    ),
  );
  attack('bodies', 'AppArmor Unconfined', () =>
    refusedPod(
      pod('apparmor', { securityContext: { appArmorProfile: { type: 'Unconfined' } } }),
      'forbidden AppArmor profiles',
    ),
  );
  attack('bodies', 'hostPort 10250 (the kubelet port)', () =>
    refusedPod(pod('hport', {}, { ports: [{ containerPort: 10250, hostPort: 10250 }] }), 'hostPort'),
  );
  attack('bodies', 'capability SYS_ADMIN', () =>
    refusedPod(
      pod('sysadmin', {}, { securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }),
      'non-default capabilities',
    ),
  );
  attack('bodies', 'a capability baseline allows (CHOWN) passes, with the restricted warning', async () => {
    const r = await api.request(
      'POST',
      `${base}/pods`,
      pod('chown', {}, { securityContext: { capabilities: { add: ['CHOWN'] } } }),
    );
    expect(r.status).toBe(201);
    expect(String(r.headers['warning'])).toContain('would violate PodSecurity \\"restricted:latest\\"');
  });
  attack('bodies', 'Windows hostProcess', () =>
    refusedPod(
      pod('hostproc', { securityContext: { windowsOptions: { hostProcess: true } }, hostNetwork: true }),
      'host',
    ),
  );
  // With hostUsers: false the Pod Security Standards allow Unmasked (the user namespace contains
  // it); in the host's user namespace it is refused, or dropped where the host's ProcMountType
  // feature gate is off. Either way no container runs with an unmasked /proc.
  attack('bodies', 'procMount Unmasked in the host user namespace', async () => {
    const r = await api.request(
      'POST',
      `${base}/pods`,
      pod('procmount', {}, { securityContext: { procMount: 'Unmasked' } }),
    );
    if (r.status === 201) {
      const h = await onHost(`${base}/pods/procmount`);
      expect(JSON.stringify(h.body['spec'])).not.toContain('Unmasked');
    } else {
      expect([403, 422]).toContain(r.status);
      expect((await onHost(`${base}/pods/procmount`)).status).toBe(404);
    }
  });
  attack('bodies', 'privileged ephemeral container (kubectl debug --profile=sysadmin)', async () => {
    const current = await api.request<Obj>('GET', `${base}/pods/plain`);
    const spec = current.body['spec'] as Obj;
    spec['ephemeralContainers'] = [{ name: 'dbg', image: 'x', ...PRIV }];
    const r = await api.request<{ message: string }>(
      'PUT',
      `${base}/pods/plain/ephemeralcontainers`,
      current.body,
    );
    expectStatus(r, 403, 'Forbidden');
    expect(r.body.message).toContain('violates PodSecurity "baseline:latest": privileged');
    const h = await onHost(`${base}/pods/plain`);
    expect((h.body['spec'] as Obj)['ephemeralContainers']).toBeUndefined();
  });
  attack('bodies', 'privileged Deployment: FailedCreate, no pod', () =>
    failedCreate(
      'Deployment',
      `/apis/apps/v1/namespaces/${NS}/deployments`,
      workload('Deployment', 'privdep', {}, PRIV),
    ),
  );
  attack('bodies', 'privileged hostPID DaemonSet: FailedCreate, no pod on any node', () =>
    failedCreate(
      'DaemonSet',
      `/apis/apps/v1/namespaces/${NS}/daemonsets`,
      workload('DaemonSet', 'privds', { hostPID: true }, PRIV),
    ),
  );
  attack('bodies', 'hostNetwork StatefulSet: FailedCreate, no pod', () =>
    failedCreate('StatefulSet', `/apis/apps/v1/namespaces/${NS}/statefulsets`, {
      ...workload('StatefulSet', 'hnetsts', { hostNetwork: true }),
      spec: {
        ...(workload('StatefulSet', 'hnetsts', { hostNetwork: true })['spec'] as Obj),
        serviceName: 'x',
      },
    }),
  );

  // The tenant cannot lower its level.
  const label = (labels: Record<string, string | null>) =>
    api.request('PATCH', `/api/v1/namespaces/${NS}`, { metadata: { labels } }, MERGE);
  attack('namespaces', 'labels its namespace enforce=privileged: the host keeps baseline', async () => {
    expect((await label({ [`${PSA}enforce`]: 'privileged' })).status).toBe(200);
    expect((await hostLabels())[`${PSA}enforce`]).toBe('baseline');
    await refusedPod(pod('priv-after-label', {}, PRIV), 'privileged');
    expect((await label({ [`${PSA}enforce`]: null })).status).toBe(200);
  });
  attack(
    'namespaces',
    'pins an old Pod Security version (enforce-version=v1.0): the host keeps latest',
    async () => {
      expect(
        (await label({ [`${PSA}enforce-version`]: 'v1.0', [`${PSA}warn-version`]: 'v1.0' })).status,
      ).toBe(200);
      const l = await hostLabels();
      expect(l[`${PSA}enforce-version`]).toBe('latest');
      expect(l[`${PSA}warn-version`]).toBe('latest');
      expect((await label({ [`${PSA}enforce-version`]: null, [`${PSA}warn-version`]: null })).status).toBe(
        200,
      );
    },
  );
  attack('namespaces', 'lowers warn and audit to privileged: the host keeps restricted', async () => {
    expect((await label({ [`${PSA}warn`]: 'privileged', [`${PSA}audit`]: 'privileged' })).status).toBe(200);
    const l = await hostLabels();
    expect(l[`${PSA}warn`]).toBe('restricted');
    expect(l[`${PSA}audit`]).toBe('restricted');
    expect((await label({ [`${PSA}warn`]: null, [`${PSA}audit`]: null })).status).toBe(200);
  });
  attack(
    'namespaces',
    'a namespace created with privileged labels is born baseline on the host',
    async () => {
      const ns = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'born', labels: { [`${PSA}enforce`]: 'privileged' } },
      };
      expect((await api.request('POST', '/api/v1/namespaces', ns)).status).toBe(201);
      const r = await api.request<{ message: string }>(
        'POST',
        '/api/v1/namespaces/born/pods',
        pod('priv', {}, PRIV),
      );
      expectStatus(r, 403, 'Forbidden');
      expect(r.body.message).toContain('violates PodSecurity "baseline:latest"');
      expect((await hostLabels('born'))[`${PSA}enforce`]).toBe('baseline');
    },
  );
  attack('namespaces', 'a level with different case (Privileged) counts for nothing', async () => {
    expect((await label({ [`${PSA}enforce`]: 'Privileged' })).status).toBe(200);
    expect((await hostLabels())[`${PSA}enforce`]).toBe('baseline');
    expect((await label({ [`${PSA}enforce`]: null })).status).toBe(200);
  });
  attack('namespaces', 'a JSON patch removing every label leaves the host floor', async () => {
    const r = await api.request(
      'PATCH',
      `/api/v1/namespaces/${NS}`,
      [{ op: 'remove', path: '/metadata/labels' }],
      JSON_PATCH,
    );
    expect(r.status).toBe(200);
    expect((await hostLabels())[`${PSA}enforce`]).toBe('baseline');
  });
  attack('namespaces', "the host namespace (and kplex's labels on it) cannot be addressed", async () => {
    expect((await api.request('GET', `/api/v1/namespaces/${hostNs}`)).status).toBe(404);
    const r = await api.request(
      'PATCH',
      `/api/v1/namespaces/${hostNs}`,
      { metadata: { labels: { [`${PSA}enforce`]: 'privileged' } } },
      MERGE,
    );
    expect(r.status).toBe(404);
    expect((await hostLabels())[`${PSA}enforce`]).toBe('baseline');
  });
  attack('leaks', "the tenant's namespace shows none of kplex's host labels", async () => {
    const r = await api.request<{ metadata: { labels?: Record<string, string> } }>(
      'GET',
      `/api/v1/namespaces/${NS}`,
    );
    const keys = Object.keys(r.body.metadata.labels ?? {});
    expect(keys.filter((k) => k.startsWith('kplex.io/') || k.startsWith(PSA))).toEqual([]);
  });

  // Placement.
  attack('bodies', 'pod pinned to a node with spec.nodeName', () =>
    forbidden(
      api.request('POST', `${base}/pods`, pod('pinned', { nodeName: 'kwok-node-0' })),
      'pods "pinned" is forbidden: spec.nodeName',
    ),
  );
  attack('bodies', 'nodeName in a Deployment template', () =>
    forbidden(
      api.request(
        'POST',
        `/apis/apps/v1/namespaces/${NS}/deployments`,
        workload('Deployment', 'pindep', { nodeName: 'kwok-node-0' }),
      ),
      'deployments.apps "pindep" is forbidden: spec.template.spec.nodeName',
    ),
  );
  attack('bodies', 'nodeName in a CronJob job template', () =>
    forbidden(
      api.request('POST', `/apis/batch/v1/namespaces/${NS}/cronjobs`, {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'pincron' },
        spec: {
          schedule: '* * * * *',
          jobTemplate: {
            spec: {
              template: {
                spec: { restartPolicy: 'Never', nodeName: 'n', containers: [{ name: 'c', image: 'x' }] },
              },
            },
          },
        },
      }),
      'spec.jobTemplate.spec.template.spec.nodeName',
    ),
  );
  attack('bodies', 'nodeName added to a Deployment by a merge patch', async () => {
    expect(
      (
        await api.request('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, {
          ...workload('Deployment', 'later'),
          spec: { ...(workload('Deployment', 'later')['spec'] as Obj), replicas: 0 },
        })
      ).status,
    ).toBe(201);
    await forbidden(
      api.request(
        'PATCH',
        `/apis/apps/v1/namespaces/${NS}/deployments/later`,
        { spec: { template: { spec: { nodeName: 'kwok-node-0' } } } },
        MERGE,
      ),
      'spec.template.spec.nodeName',
    );
    const h = await onHost(`/apis/apps/v1/namespaces/${NS}/deployments/later`);
    expect(JSON.stringify(h.body)).not.toContain('kwok-node-0');
  });
  attack('bodies', 'nodeName applied server-side to a new pod', () =>
    forbidden(
      api.request(
        'PATCH',
        `${base}/pods/applied?fieldManager=x`,
        pod('applied', { nodeName: 'kwok-node-0' }),
        APPLY,
      ),
      'spec.nodeName',
    ),
  );
  attack('rbac', 'binds a pod with pods/binding', async () => {
    const b = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'plain' },
      target: { kind: 'Node', name: 'kwok-node-0' },
    };
    await forbidden(
      api.request('POST', `${base}/pods/plain/binding`, b),
      'pods "plain" is forbidden: binding pods to nodes is not permitted',
    );
  });
  attack('rbac', 'binds a pod with the bindings resource', async () => {
    const b = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'plain' },
      target: { kind: 'Node', name: 'kwok-node-0' },
    };
    await forbidden(
      api.request('POST', `${base}/bindings`, b),
      'bindings is forbidden: binding pods to nodes is not permitted',
    );
  });
  attack('rbac', 'binds a pod with a dry run of pods/binding', async () => {
    const b = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'plain' },
      target: { kind: 'Node', name: 'kwok-node-0' },
    };
    await forbidden(
      api.request('POST', `${base}/pods/plain/binding?dryRun=All`, b),
      'binding pods to nodes is not permitted',
    );
  });
  for (const pc of ['system-node-critical', 'system-cluster-critical'])
    attack('rbac', `priorityClassName ${pc} (preempts other tenants' pods)`, () =>
      forbidden(
        api.request('POST', `${base}/pods`, pod(`pc-${pc}`, { priorityClassName: pc })),
        `pods "pc-${pc}" is forbidden: pods with ${pc} priorityClass is not permitted in ${NS} namespace`,
      ),
    );
  attack('rbac', 'system priority class in a Deployment template', () =>
    forbidden(
      api.request(
        'POST',
        `/apis/apps/v1/namespaces/${NS}/deployments`,
        workload('Deployment', 'pcdep', { priorityClassName: 'system-node-critical' }),
      ),
      'priorityClass is not permitted',
    ),
  );

  // Tolerations: by default only node conditions (node.kubernetes.io/*).
  attack('bodies', 'DaemonSet tolerating every taint (a pod on every node, control plane included)', () =>
    forbidden(
      api.request(
        'POST',
        `/apis/apps/v1/namespaces/${NS}/daemonsets`,
        workload('DaemonSet', 'everywhere', { tolerations: [{ operator: 'Exists' }] }),
      ),
      'daemonsets.apps "everywhere" is forbidden: spec.template.spec.tolerations[0]: a toleration of every taint is not permitted for tenant pods',
    ),
  );
  attack('bodies', 'pod tolerating the control-plane taint', () =>
    forbidden(
      api.request(
        'POST',
        `${base}/pods`,
        pod('cp', {
          tolerations: [
            { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
          ],
        }),
      ),
      'pods "cp" is forbidden: spec.tolerations[0]: a toleration of the taint "node-role.kubernetes.io/control-plane" is not permitted',
    ),
  );
  attack('bodies', 'toleration of every NoSchedule taint added to a Deployment by merge patch', async () => {
    await forbidden(
      api.request(
        'PATCH',
        `/apis/apps/v1/namespaces/${NS}/deployments/later`,
        { spec: { template: { spec: { tolerations: [{ operator: 'Exists', effect: 'NoSchedule' }] } } } },
        MERGE,
      ),
      'spec.template.spec.tolerations[0]: a toleration of every taint',
    );
    const h = await onHost(`/apis/apps/v1/namespaces/${NS}/deployments/later`);
    expect(JSON.stringify(h.body)).not.toContain('NoSchedule');
  });
  attack('bodies', 'a node-condition toleration (node.kubernetes.io/not-ready) passes', async () => {
    const r = await api.request(
      'POST',
      `${base}/pods`,
      pod('notready', {
        tolerations: [
          {
            key: 'node.kubernetes.io/not-ready',
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: 30,
          },
        ],
      }),
    );
    expect(r.status).toBe(201);
  });

  // Services: externalIPs (CVE-2020-8554).
  attack('bodies', 'Service externalIPs on create', () =>
    forbidden(
      api.request('POST', `${base}/services`, service('ext', ['203.0.113.9'])),
      'services "ext" is forbidden: use of external IPs is denied by admission control',
    ),
  );
  attack('bodies', "Service externalIPs naming the host's kubernetes ClusterIP", async () => {
    const k = await s.hostApi.request<{ spec: { clusterIP: string } }>(
      'GET',
      '/api/v1/namespaces/default/services/kubernetes',
    );
    await forbidden(
      api.request('POST', `${base}/services`, service('kube', [k.body.spec.clusterIP])),
      'use of external IPs is denied',
    );
  });
  const plainSvc = async (name: string): Promise<void> => {
    expect((await api.request('POST', `${base}/services`, service(name))).status).toBe(201);
  };
  const noExternalIPs = async (name: string): Promise<void> => {
    const h = await onHost(`${base}/services/${name}`);
    expect((h.body['spec'] as Obj)['externalIPs']).toBeUndefined();
  };
  attack('bodies', 'Service externalIPs by merge patch', async () => {
    await plainSvc('svc-merge');
    await forbidden(
      api.request('PATCH', `${base}/services/svc-merge`, { spec: { externalIPs: ['203.0.113.9'] } }, MERGE),
      'use of external IPs is denied',
    );
    await noExternalIPs('svc-merge');
  });
  attack('bodies', 'Service externalIPs by JSON patch', async () => {
    await plainSvc('svc-json');
    await forbidden(
      api.request(
        'PATCH',
        `${base}/services/svc-json`,
        [{ op: 'add', path: '/spec/externalIPs', value: ['203.0.113.9'] }],
        JSON_PATCH,
      ),
      'use of external IPs is denied',
    );
    await noExternalIPs('svc-json');
  });
  attack('bodies', 'Service externalIPs by server-side apply', async () => {
    await forbidden(
      api.request(
        'PATCH',
        `${base}/services/svc-apply?fieldManager=x`,
        service('svc-apply', ['203.0.113.9']),
        APPLY,
      ),
      'use of external IPs is denied',
    );
    expect((await onHost(`${base}/services/svc-apply`)).status).toBe(404);
  });
  attack('bodies', 'Service externalIPs by PUT', async () => {
    await plainSvc('svc-put');
    const cur = await api.request<Obj>('GET', `${base}/services/svc-put`);
    (cur.body['spec'] as Obj)['externalIPs'] = ['203.0.113.9'];
    await forbidden(
      api.request('PUT', `${base}/services/svc-put`, cur.body),
      'use of external IPs is denied',
    );
    await noExternalIPs('svc-put');
  });
  attack('bodies', 'Service externalIPs as an IPv6 address', () =>
    forbidden(
      api.request('POST', `${base}/services`, service('ext6', ['2001:db8::9'])),
      'use of external IPs is denied',
    ),
  );
});
