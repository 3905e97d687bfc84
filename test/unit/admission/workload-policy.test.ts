// The workload policy plugins: bindings refused from the URL alone, nodeName and system priority
// classes in pods and every pod template, Service externalIPs against the Tenant's allow-list.
import { describe, expect, it } from 'vitest';
import type { AdmissionAttributes } from '../../../src/admission/attributes.js';
import { podBindings, podPlacement, serviceExternalIPs } from '../../../src/admission/workload-policy.js';
import { DEFAULT_POLICY, type TenantPolicy } from '../../../src/limits/tenant-policy.js';

const user = { username: 'alice', groups: [] };
function attrs(
  group: string,
  resource: string,
  object: unknown,
  extra: Partial<AdmissionAttributes> = {},
): AdmissionAttributes {
  return {
    operation: 'CREATE',
    resource: { group, version: 'v1', resource },
    subresource: '',
    kind: { group, version: 'v1', kind: 'X' },
    namespace: 'default',
    name: 'x',
    object: object as never,
    oldObject: null,
    user,
    dryRun: false,
    ...extra,
  };
}
const policy =
  (p: Partial<TenantPolicy> = {}) =>
  () => ({ ...DEFAULT_POLICY, ...p });
const message = async (f: () => Promise<unknown> | unknown): Promise<string> => {
  try {
    await f();
  } catch (e) {
    return (
      (e as { status: { code: number; message: string } }).status.code +
      ' ' +
      (e as { status: { message: string } }).status.message
    );
  }
  return 'allowed';
};

describe('bindings', () => {
  const p = podBindings();
  it('refuses pods/binding and bindings before anything else', async () => {
    const sub = attrs('', 'pods', null, { subresource: 'binding' });
    expect(p.handles(sub)).toBe(true);
    expect(await message(() => p.validateRequest!(sub))).toBe(
      '403 pods "x" is forbidden: binding pods to nodes is not permitted for tenants: the host\'s scheduler places them',
    );
    expect(p.handles(attrs('', 'bindings', null, { name: '' }))).toBe(true);
    expect(p.handles(attrs('', 'pods', null))).toBe(false);
    expect(p.handles(attrs('', 'pods', null, { subresource: 'eviction' }))).toBe(false);
  });
});

describe('placement', () => {
  const p = podPlacement(policy());
  const tmpl = (spec: unknown) => ({ spec: { template: { spec } } });
  it('refuses nodeName in pods and templates of every pod-making kind', async () => {
    expect(await message(() => p.validate!(attrs('', 'pods', { spec: { nodeName: 'n1' } }), {}))).toContain(
      '403 pods "x" is forbidden: spec.nodeName: setting a node is not permitted',
    );
    for (const [g, r] of [
      ['apps', 'deployments'],
      ['apps', 'daemonsets'],
      ['apps', 'statefulsets'],
      ['apps', 'replicasets'],
      ['batch', 'jobs'],
      ['', 'replicationcontrollers'],
    ] as const)
      expect(await message(() => p.validate!(attrs(g, r, tmpl({ nodeName: 'n1' })), {}))).toContain(
        'spec.template.spec.nodeName',
      );
    const cron = { spec: { jobTemplate: { spec: { template: { spec: { nodeName: 'n1' } } } } } };
    expect(await message(() => p.validate!(attrs('batch', 'cronjobs', cron), {}))).toContain(
      'spec.jobTemplate.spec.template.spec.nodeName',
    );
    expect(
      await message(() =>
        p.validate!(attrs('', 'podtemplates', { template: { spec: { nodeName: 'n' } } }), {}),
      ),
    ).toContain('template.spec.nodeName');
  });

  it('keeps what an update does not change (a scheduled pod has a nodeName)', async () => {
    const old = { spec: { nodeName: 'n1', priorityClassName: 'system-node-critical' } };
    expect(
      await message(() =>
        p.validate!(attrs('', 'pods', old, { operation: 'UPDATE', oldObject: old as never }), {}),
      ),
    ).toBe('allowed');
  });

  it('refuses the system priority classes unless allowed', async () => {
    const pod = { spec: { priorityClassName: 'system-node-critical' } };
    expect(await message(() => p.validate!(attrs('', 'pods', pod), {}))).toBe(
      '403 pods "x" is forbidden: pods with system-node-critical priorityClass is not permitted in default namespace',
    );
    const allowed = podPlacement(policy({ allowedPriorityClasses: ['system-node-critical'] }));
    expect(await message(() => allowed.validate!(attrs('', 'pods', pod), {}))).toBe('allowed');
    expect(
      await message(() => p.validate!(attrs('', 'pods', { spec: { priorityClassName: 'high' } }), {})),
    ).toBe('allowed');
  });

  it('does not handle subresources, deletes or other kinds', () => {
    expect(p.handles(attrs('', 'pods', null, { subresource: 'status' }))).toBe(false);
    expect(p.handles(attrs('', 'pods', null, { operation: 'DELETE' }))).toBe(false);
    expect(p.handles(attrs('', 'configmaps', null))).toBe(false);
  });
});

describe('external IPs', () => {
  const svc = (ips: unknown) => ({ spec: { externalIPs: ips } });
  it('refuses any by default, as DenyServiceExternalIPs', async () => {
    const p = serviceExternalIPs(policy());
    expect(await message(() => p.validate!(attrs('', 'services', svc(['10.96.0.1'])), {}))).toBe(
      '403 services "x" is forbidden: use of external IPs is denied by admission control: spec.externalIPs: 10.96.0.1 is not in the tenant\'s allowed external IPs',
    );
    expect(await message(() => p.validate!(attrs('', 'services', svc([])), {}))).toBe('allowed');
  });

  it('allows addresses and CIDRs of the allow-list and what the Service already had', async () => {
    const p = serviceExternalIPs(
      policy({ externalIPs: ['192.0.2.0/24', '2001:db8::1', 'garbage', '10.0.0.0/99'] }),
    );
    expect(
      await message(() => p.validate!(attrs('', 'services', svc(['192.0.2.9', '2001:db8::1'])), {})),
    ).toBe('allowed');
    expect(await message(() => p.validate!(attrs('', 'services', svc(['192.0.3.1'])), {}))).toContain(
      '192.0.3.1',
    );
    expect(await message(() => p.validate!(attrs('', 'services', svc(['10.0.0.1'])), {}))).toContain(
      '10.0.0.1',
    );
    expect(await message(() => p.validate!(attrs('', 'services', svc(['not-an-ip'])), {}))).toContain(
      'not-an-ip',
    );
    const old = svc(['10.1.1.1']);
    expect(
      await message(() =>
        p.validate!(attrs('', 'services', old, { operation: 'UPDATE', oldObject: old as never }), {}),
      ),
    ).toBe('allowed');
  });
});
