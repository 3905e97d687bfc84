// Workload isolation (issue 14) through the real kubectl against the real host: the Tenant's
// Pod Security floor on every host namespace (enforced by the HOST's PodSecurity admission, for
// controller-made pods too), which the tenant can tighten but never lower; placement (nodeName,
// bindings, system priority classes) and Service externalIPs refused unless the Tenant allows.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const T = 'workload-tenant';
const PSA = 'pod-security.kubernetes.io/';

const pod = (name: string, spec: Record<string, unknown> = {}, container: Record<string, unknown> = {}) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'x', ...container }], ...spec },
  });

const deployment = (
  name: string,
  spec: Record<string, unknown> = {},
  container: Record<string, unknown> = {},
) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'x', ...container }], ...spec },
      },
    },
  });

describe('workload isolation', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;

  const setPolicy = (policy: Record<string, unknown> | null): string =>
    kubectlOk(host.kubeconfig, [
      'patch',
      'tenant',
      T,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { policy } }),
    ]);

  /** The host namespace backing the tenant's `ns` and its labels. */
  const hostLabels = (ns: string): Record<string, string> => {
    const out = kubectlOk(host.kubeconfig, [
      'get',
      'ns',
      '-l',
      `kplex.io/tenant=${T},kplex.io/namespace=${ns}`,
      '-o',
      'json',
    ]);
    const items = (JSON.parse(out) as { items: { metadata: { labels: Record<string, string> } }[] }).items;
    expect(items).toHaveLength(1);
    return items[0]!.metadata.labels;
  };
  const hostNs = (ns: string): string =>
    kubectlOk(host.kubeconfig, [
      'get',
      'ns',
      '-l',
      `kplex.io/tenant=${T},kplex.io/namespace=${ns}`,
      '-o',
      'jsonpath={.items[0].metadata.name}',
    ]);
  const create = (ns: string, manifest: string) => kubectl(kc, ['create', '-n', ns, '-f', '-'], manifest);

  beforeAll(async () => {
    env = await startTenantEnv(host);
    kc = await env.tenant(T);
  });
  afterAll(async () => {
    if (env)
      kubectl(host.kubeconfig, ['patch', 'tenant', T, '--type', 'merge', '-p', '{"spec":{"policy":null}}']);
    await env?.close();
  });

  it('documents the policy and its defaults in the Tenant CRD (kubectl explain)', () => {
    const ps = kubectlOk(host.kubeconfig, ['explain', 'tenants.spec.policy.podSecurity']).replace(
      /\s+/g,
      ' ',
    );
    expect(ps).toContain('enforce');
    expect(ps).toContain('Default: baseline.');
    expect(ps).toContain('Default: restricted.');
    const policy = kubectlOk(host.kubeconfig, ['explain', 'tenants.spec.policy']);
    for (const f of ['allowedPriorityClasses', 'externalIPs', 'podSecurity']) expect(policy).toContain(f);
    const bad = kubectl(host.kubeconfig, [
      'patch',
      'tenant',
      T,
      '--type',
      'merge',
      '-p',
      '{"spec":{"policy":{"podSecurity":{"enforce":"none"}}}}',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('spec.policy.podSecurity.enforce: Unsupported value: "none"');
  });

  it('labels every host namespace with the floor; a privileged pod gets the host PodSecurity 403 in virtual names', () => {
    kubectlOk(kc, ['create', 'ns', 'psa']);
    const r = create('psa', pod('priv', {}, { securityContext: { privileged: true } }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'Error from server (Forbidden): error when creating "STDIN": pods "priv" is forbidden: violates PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)',
    );
    expect(r.stderr).not.toContain(hostNs('psa'));
    const l = hostLabels('psa');
    expect(l).toMatchObject({
      [`${PSA}enforce`]: 'baseline',
      [`${PSA}enforce-version`]: 'latest',
      [`${PSA}warn`]: 'restricted',
      [`${PSA}audit`]: 'restricted',
    });
    // A baseline pod passes, with the restricted level's warnings.
    const ok = create('psa', pod('plain'));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('Warning: would violate PodSecurity "restricted:latest"');
  });

  it('refuses the host-escape pods of the issue', () => {
    const cases: [string, string, string][] = [
      [
        'hostpath',
        pod('hostpath', { volumes: [{ name: 'root', hostPath: { path: '/' } }] }),
        'hostPath volumes',
      ],
      ['hostnet', pod('hostnet', { hostNetwork: true, hostPID: true, hostIPC: true }), 'host namespaces'],
      [
        'sysctl',
        pod('sysctl', { securityContext: { sysctls: [{ name: 'kernel.core_pattern', value: 'x' }] } }),
        'forbidden sysctls',
      ],
      ['hostport', pod('hostport', {}, { ports: [{ containerPort: 10250, hostPort: 10250 }] }), 'hostPort'],
      [
        'seccomp',
        pod('seccomp', { securityContext: { seccompProfile: { type: 'Unconfined' } } }),
        'seccompProfile',
      ],
      [
        'caps',
        pod('caps', {}, { securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }),
        'non-default capabilities',
      ],
    ];
    for (const [name, manifest, why] of cases) {
      const r = create('psa', manifest);
      expect(r.code, name).not.toBe(0);
      expect(r.stderr, name).toContain(`pods "${name}" is forbidden: violates PodSecurity "baseline:latest"`);
      expect(r.stderr, name).toContain(why);
    }
  });

  it('a privileged Deployment yields a FailedCreate event the tenant sees', async () => {
    expect(create('psa', deployment('privdep', {}, { securityContext: { privileged: true } })).code).toBe(0);
    await expect
      .poll(
        () =>
          kubectl(kc, [
            'get',
            'events',
            '-n',
            'psa',
            '--field-selector',
            'reason=FailedCreate',
            '-o',
            'jsonpath={.items[*].message}',
          ]).stdout,
        { timeout: 30_000 },
      )
      .toContain('violates PodSecurity "baseline:latest": privileged');
    const events = kubectlOk(kc, ['get', 'events', '-n', 'psa', '-o', 'json']);
    expect(events).not.toContain(hostNs('psa'));
    expect(kubectlOk(kc, ['get', 'pods', '-n', 'psa', '-l', 'app=privdep', '-o', 'name'])).toBe('');
  });

  it('the tenant tightens through its own namespace labels but cannot lower the floor', async () => {
    kubectlOk(kc, ['create', 'ns', 'own']);
    kubectlOk(kc, [
      'label',
      'ns',
      'own',
      `${PSA}enforce=privileged`,
      `${PSA}enforce-version=v1.0`,
      `${PSA}warn=privileged`,
    ]);
    // The tenant's namespace reads back as it labelled it; the host keeps the floor.
    expect(
      kubectlOk(kc, [
        'get',
        'ns',
        'own',
        '-o',
        `jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}`,
      ]),
    ).toBe('privileged');
    expect(hostLabels('own')).toMatchObject({
      [`${PSA}enforce`]: 'baseline',
      [`${PSA}enforce-version`]: 'latest',
      [`${PSA}warn`]: 'restricted',
    });
    expect(create('own', pod('priv', {}, { securityContext: { privileged: true } })).stderr).toContain(
      'violates PodSecurity "baseline:latest"',
    );

    kubectlOk(kc, ['label', 'ns', 'own', '--overwrite', `${PSA}enforce=restricted`]);
    await expect.poll(() => hostLabels('own')[`${PSA}enforce`], { timeout: 15_000 }).toBe('restricted');
    const r = create('own', pod('plain'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('pods "plain" is forbidden: violates PodSecurity "restricted:latest"');

    kubectlOk(kc, ['label', 'ns', 'own', `${PSA}enforce-`]);
    await expect.poll(() => hostLabels('own')[`${PSA}enforce`], { timeout: 15_000 }).toBe('baseline');
  });

  it('the platform team loosens per tenant; existing host namespaces follow the Tenant', async () => {
    // A host namespace that lost its labels (e.g. made by an older kplex) gets them back.
    const h = hostNs('psa');
    kubectlOk(host.kubeconfig, ['label', 'ns', h, `${PSA}enforce-`, `${PSA}warn-`]);
    setPolicy({ podSecurity: { enforce: 'privileged', warn: 'baseline' } });
    await expect.poll(() => hostLabels('psa')[`${PSA}enforce`], { timeout: 15_000 }).toBe('privileged');
    expect(hostLabels('psa')[`${PSA}warn`]).toBe('baseline');
    const r = create('psa', pod('priv2', {}, { securityContext: { privileged: true } }));
    expect(r.code, r.stderr).toBe(0);
    // The tenant's own stricter label still wins over a looser floor.
    expect(hostLabels('own')[`${PSA}enforce`]).toBe('privileged');
    kubectlOk(kc, ['label', 'ns', 'own', `${PSA}enforce=baseline`]);
    await expect.poll(() => hostLabels('own')[`${PSA}enforce`], { timeout: 15_000 }).toBe('baseline');
    setPolicy(null);
    await expect.poll(() => hostLabels('psa')[`${PSA}enforce`], { timeout: 15_000 }).toBe('baseline');
  });

  it('a restarted kplex relabels the host namespaces it finds (made by an earlier run)', async () => {
    kubectlOk(host.kubeconfig, ['label', 'ns', hostNs('psa'), `${PSA}enforce=privileged`, '--overwrite']);
    await env.restart();
    await expect.poll(() => hostLabels('psa')[`${PSA}enforce`], { timeout: 30_000 }).toBe('baseline');
  });

  it('refuses nodeName, pods/binding and bindings with 403', () => {
    kubectlOk(kc, ['create', 'ns', 'place']);
    const pinned = create('place', pod('pinned', { nodeName: 'kwok-node-0' }));
    expect(pinned.stderr).toContain(
      'Error from server (Forbidden): error when creating "STDIN": pods "pinned" is forbidden: spec.nodeName: setting a node is not permitted for tenant pods',
    );
    const dep = create('place', deployment('pinned', { nodeName: 'kwok-node-0' }));
    expect(dep.stderr).toContain(
      'deployments.apps "pinned" is forbidden: spec.template.spec.nodeName: setting a node is not permitted',
    );
    expect(create('place', pod('free')).code).toBe(0);
    const binding = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'free' },
      target: { kind: 'Node', name: 'kwok-node-0' },
    });
    const viaSub = kubectl(
      kc,
      ['create', '--raw', '/api/v1/namespaces/place/pods/free/binding', '-f', '-'],
      binding,
    );
    expect(viaSub.stderr).toContain(
      'pods "free" is forbidden: binding pods to nodes is not permitted for tenants',
    );
    const viaBindings = kubectl(
      kc,
      ['create', '--raw', '/api/v1/namespaces/place/bindings', '-f', '-'],
      binding,
    );
    // Refused from the URL alone, before the body is read: the apiserver's message without a name.
    expect(viaBindings.stderr).toContain(
      'Error from server (Forbidden): bindings is forbidden: binding pods to nodes is not permitted for tenants',
    );
  });

  it('refuses the host system priority classes unless the Tenant allows them', async () => {
    for (const pc of ['system-node-critical', 'system-cluster-critical']) {
      const r = create('place', pod(`pc-${pc}`, { priorityClassName: pc }));
      expect(r.stderr).toContain(
        `pods "pc-${pc}" is forbidden: pods with ${pc} priorityClass is not permitted in place namespace`,
      );
    }
    setPolicy({ allowedPriorityClasses: ['system-cluster-critical'] });
    await expect
      .poll(() => create('place', pod('allowed', { priorityClassName: 'system-cluster-critical' })).code, {
        timeout: 15_000,
      })
      .toBe(0);
    expect(create('place', pod('still', { priorityClassName: 'system-node-critical' })).code).not.toBe(0);
    setPolicy(null);
  });

  it('refuses Service externalIPs outside the Tenant allow-list', async () => {
    const svc = (name: string, ips: string[]) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name },
        spec: { ports: [{ port: 80 }], externalIPs: ips },
      });
    const r = create('place', svc('ext', ['10.0.0.1']));
    expect(r.stderr).toContain(
      'Error from server (Forbidden): error when creating "STDIN": services "ext" is forbidden: use of external IPs is denied by admission control',
    );
    expect(create('place', svc('plain', [])).code).toBe(0);
    const patched = kubectl(kc, [
      'patch',
      'svc',
      'plain',
      '-n',
      'place',
      '-p',
      '{"spec":{"externalIPs":["10.0.0.1"]}}',
    ]);
    expect(patched.stderr).toContain(
      'services "plain" is forbidden: use of external IPs is denied by admission control',
    );
    setPolicy({ externalIPs: ['192.0.2.0/24'] });
    await expect.poll(() => create('place', svc('allowed', ['192.0.2.7'])).code, { timeout: 15_000 }).toBe(0);
    expect(create('place', svc('outside', ['192.0.3.7'])).code).not.toBe(0);
    setPolicy(null);
    // Removing an address the Service already has is always possible.
    await expect
      .poll(
        () =>
          kubectl(kc, [
            'patch',
            'svc',
            'allowed',
            '-n',
            'place',
            '--type',
            'json',
            '-p',
            '[{"op":"add","path":"/spec/externalIPs/-","value":"192.0.2.8"}]',
          ]).code,
        { timeout: 15_000 },
      )
      .not.toBe(0);
    expect(
      kubectl(kc, [
        'patch',
        'svc',
        'allowed',
        '-n',
        'place',
        '--type',
        'json',
        '-p',
        '[{"op":"remove","path":"/spec/externalIPs"}]',
      ]).code,
    ).toBe(0);
  });

  it("bounds placement: tolerations of node conditions or the Tenant's taints, and the Tenant's node selector", async () => {
    kubectlOk(kc, ['create', 'ns', 'bounds']);
    const all = create('bounds', deployment('everywhere', { tolerations: [{ operator: 'Exists' }] }));
    expect(all.stderr).toContain(
      'deployments.apps "everywhere" is forbidden: spec.template.spec.tolerations[0]: a toleration of every taint is not permitted for tenant pods',
    );
    const dedicated = { key: 'dedicated', operator: 'Equal', value: 'place-team', effect: 'NoSchedule' };
    expect(create('bounds', pod('dedicated', { tolerations: [dedicated] })).stderr).toContain(
      'a toleration of the taint "dedicated" is not permitted',
    );
    setPolicy({
      allowedTolerations: [{ key: 'dedicated', value: 'place-team' }],
      nodeSelector: { 'kplex.io/pool': 'place' },
    });
    // The node selector is now required: a pod without it is refused, with it (and the allowed toleration) created.
    await expect
      .poll(() => create('bounds', pod('nosel', { tolerations: [dedicated] })).stderr, { timeout: 15_000 })
      .toContain(
        'pods "nosel" is forbidden: spec.nodeSelector: must select kplex.io/pool=place (the nodes of this tenant)',
      );
    const ok = create(
      'bounds',
      pod('dedicated', { tolerations: [dedicated], nodeSelector: { 'kplex.io/pool': 'place' } }),
    );
    expect(ok.code, ok.stderr).toBe(0);
    // No node carries the pool label on the local host: the scheduler leaves it Pending, on no node.
    expect(
      kubectlOk(kc, ['get', 'pod', 'dedicated', '-n', 'bounds', '-o', 'jsonpath={.spec.nodeName}']),
    ).toBe('');
    setPolicy(null);
  });
});
