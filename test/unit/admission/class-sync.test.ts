// Pods and pod templates naming the tenant's own classes: missing ones refused as the apiserver
// refuses them (pods only), RuntimeClasses judged by handler and tolerations, host classes ensured.
import { describe, expect, it } from 'vitest';
import type { AdmissionAttributes } from '../../../src/admission/attributes.js';
import { type ClassSync, podClasses } from '../../../src/admission/class-sync.js';
import type { KubeObject } from '../../../src/api/object.js';
import { DEFAULT_POLICY, type TenantPolicy } from '../../../src/limits/tenant-policy.js';
import type { TenantStore } from '../../../src/store/types.js';

const attrs = (group: string, resource: string, object: unknown): AdmissionAttributes => ({
  operation: 'CREATE',
  resource: { group, version: 'v1', resource },
  subresource: '',
  kind: { group, version: 'v1', kind: 'X' },
  namespace: 'app',
  name: 'x',
  object: object as never,
  oldObject: null,
  user: { username: 'u', groups: [] },
  dryRun: false,
});

const classes: Record<string, KubeObject> = {
  'priorityclasses/high': { metadata: { name: 'high' }, value: 100 },
  'runtimeclasses/fast': { metadata: { name: 'fast' }, handler: 'runc' },
  'runtimeclasses/everywhere': {
    metadata: { name: 'everywhere' },
    handler: 'runc',
    scheduling: { tolerations: [{ operator: 'Exists' }] },
  },
  'runtimeclasses/kata': { metadata: { name: 'kata' }, handler: 'kata' },
};
const store = (() => ({
  get: (k: { resource: string; name: string }) => {
    const o = classes[`${k.resource}/${k.name}`];
    return o ? { object: o } : undefined;
  },
})) as unknown as () => TenantStore;

function setup(policy: Partial<TenantPolicy> = {}) {
  const ensured: string[] = [];
  const sync: ClassSync = {
    ensure: async (kind, cls) => void ensured.push(`${kind}/${cls.metadata?.name}`),
    hostHandlers: async () => ['runc'],
  };
  const plugin = podClasses(store, () => ({ ...DEFAULT_POLICY, ...policy }), sync);
  const run = async (a: AdmissionAttributes): Promise<string> => {
    try {
      await plugin.prepare!(a);
      return 'allowed';
    } catch (e) {
      return (e as { status: { message: string } }).status.message;
    }
  };
  return { ensured, run };
}

const pod = (spec: object) => attrs('', 'pods', { spec: { containers: [], ...spec } });
const deployment = (spec: object) =>
  attrs('apps', 'deployments', { spec: { template: { spec: { containers: [], ...spec } } } });

describe('pod classes', () => {
  it('refuses a pod naming a missing class with the apiserver’s words; a template is accepted', async () => {
    const { run } = setup();
    expect(await run(pod({ priorityClassName: 'nope' }))).toBe(
      'pods "x" is forbidden: no PriorityClass with name nope was found',
    );
    expect(await run(pod({ runtimeClassName: 'nope' }))).toBe(
      'pods "x" is forbidden: pod rejected: RuntimeClass "nope" not found',
    );
    expect(await run(deployment({ priorityClassName: 'nope' }))).toBe('allowed');
  });

  it('ensures the host classes a pod or template names; system classes pass untouched', async () => {
    const { run, ensured } = setup();
    expect(await run(deployment({ priorityClassName: 'high', runtimeClassName: 'fast' }))).toBe('allowed');
    expect(await run(pod({ priorityClassName: 'system-node-critical' }))).toBe('allowed');
    expect(ensured).toEqual(['PriorityClass/high', 'RuntimeClass/fast']);
  });

  it('a RuntimeClass only of an allowed handler (unset: the host’s own) and of tolerations the pod may have', async () => {
    const { run, ensured } = setup();
    expect(await run(pod({ runtimeClassName: 'kata' }))).toBe(
      'pods "x" is forbidden: spec.runtimeClassName: RuntimeClass "kata" has handler "kata", which is not one of the runtime handlers this tenant\'s pods may use: "runc"',
    );
    expect(await run(deployment({ runtimeClassName: 'everywhere' }))).toBe(
      'deployments.apps "x" is forbidden: spec.template.spec.runtimeClassName: RuntimeClass "everywhere" adds a toleration: a toleration of every taint is not permitted for tenant pods',
    );
    expect(ensured).toEqual([]);
    const listed = setup({ allowedRuntimeClasses: ['kata'] });
    expect(await listed.run(pod({ runtimeClassName: 'kata' }))).toBe('allowed');
    expect(await listed.run(pod({ runtimeClassName: 'fast' }))).toContain('may use: "kata"');
    // A pod that already named the class may be updated (a label) after the policy tightened.
    const update = { ...pod({ runtimeClassName: 'fast' }), operation: 'UPDATE' as const };
    expect(await listed.run({ ...update, oldObject: update.object })).toBe('allowed');
  });
});
