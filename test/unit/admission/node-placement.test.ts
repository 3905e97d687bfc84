// Node bounds of tenant pods: the Tenant's node selector is required, tolerations are node
// conditions or the Tenant's allowed taints, in pods and every pod template.
import { describe, expect, it } from 'vitest';
import type { AdmissionAttributes } from '../../../src/admission/attributes.js';
import { podNodeBounds } from '../../../src/admission/node-placement.js';
import { DEFAULT_POLICY, type TenantPolicy } from '../../../src/limits/tenant-policy.js';

const attrs = (
  group: string,
  resource: string,
  object: unknown,
  oldObject: unknown = null,
): AdmissionAttributes => ({
  operation: oldObject ? 'UPDATE' : 'CREATE',
  resource: { group, version: 'v1', resource },
  subresource: '',
  kind: { group, version: 'v1', kind: 'X' },
  namespace: 'app',
  name: 'x',
  object: object as never,
  oldObject: oldObject as never,
  user: { username: 'u', groups: [] },
  dryRun: false,
});
const outcome = async (p: ReturnType<typeof podNodeBounds>, a: AdmissionAttributes): Promise<string> => {
  try {
    await p.validate!(a, {});
    return 'allowed';
  } catch (e) {
    return `${(e as { status: { code: number } }).status.code} ${(e as { status: { message: string } }).status.message}`;
  }
};
const bounds = (p: Partial<TenantPolicy> = {}) => podNodeBounds(() => ({ ...DEFAULT_POLICY, ...p }));
const pod = (spec: unknown) => ({ spec });

describe('node bounds', () => {
  it('tolerations: node conditions pass; every taint and other keys are refused by default', async () => {
    const p = bounds();
    expect(
      await outcome(
        p,
        attrs(
          '',
          'pods',
          pod({ tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }] }),
        ),
      ),
    ).toBe('allowed');
    expect(await outcome(p, attrs('', 'pods', pod({ tolerations: [{ operator: 'Exists' }] })))).toBe(
      '403 pods "x" is forbidden: spec.tolerations[0]: a toleration of every taint is not permitted for tenant pods',
    );
    const cp = { tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' }] };
    expect(
      await outcome(
        p,
        attrs('batch', 'cronjobs', { spec: { jobTemplate: { spec: { template: { spec: cp } } } } }),
      ),
    ).toContain(
      'spec.jobTemplate.spec.template.spec.tolerations[0]: a toleration of the taint "node-role.kubernetes.io/control-plane"',
    );
  });
  it("the Tenant's allowed taints, bound by value and effect when given; kept tolerations pass", async () => {
    const p = bounds({ allowedTolerations: [{ key: 'dedicated', value: 'team-a', effect: 'NoSchedule' }] });
    const t = (x: object) => attrs('', 'pods', pod({ tolerations: [x] }));
    expect(await outcome(p, t({ key: 'dedicated', value: 'team-a', effect: 'NoSchedule' }))).toBe('allowed');
    expect(await outcome(p, t({ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }))).toContain(
      '403',
    );
    expect(await outcome(p, t({ key: 'dedicated', value: 'team-b', effect: 'NoSchedule' }))).toContain('403');
    expect(await outcome(p, t({ key: 'dedicated', value: 'team-a', effect: 'NoExecute' }))).toContain('403');
    const old = pod({ tolerations: [{ operator: 'Exists' }] });
    expect(await outcome(bounds(), attrs('', 'pods', old, old))).toBe('allowed');
  });
  it("requires the Tenant's node selector", async () => {
    const p = bounds({ nodeSelector: { pool: 'a' } });
    expect(await outcome(p, attrs('apps', 'deployments', { spec: { template: { spec: {} } } }))).toBe(
      '403 deployments.apps "x" is forbidden: spec.template.spec.nodeSelector: must select pool=a (the nodes of this tenant)',
    );
    expect(await outcome(p, attrs('', 'pods', pod({ nodeSelector: { pool: 'b' } })))).toContain(
      'must select pool=a',
    );
    expect(await outcome(p, attrs('', 'pods', pod({ nodeSelector: { pool: 'a', zone: 'z' } })))).toBe(
      'allowed',
    );
  });
});
