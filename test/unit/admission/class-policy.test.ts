// The host classes a tenant may name: runtime classes in pods and templates, storage classes in
// PVCs and StatefulSet claim templates, ingress classes; unset lists allow any.
import { describe, expect, it } from 'vitest';
import type { AdmissionAttributes } from '../../../src/admission/attributes.js';
import { hostClasses } from '../../../src/admission/class-policy.js';
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
const run = async (p: Partial<TenantPolicy>, a: AdmissionAttributes): Promise<string> => {
  try {
    await hostClasses(() => ({ ...DEFAULT_POLICY, ...p })).validate!(a, {});
    return 'allowed';
  } catch (e) {
    return `${(e as { status: { code: number } }).status.code} ${(e as { status: { message: string } }).status.message}`;
  }
};

describe('host classes', () => {
  it('any class while the lists are unset', async () => {
    expect(await run({}, attrs('', 'persistentvolumeclaims', { spec: { storageClassName: 'fast' } }))).toBe(
      'allowed',
    );
  });
  it('refuses classes outside the lists, in every place a kind names one', async () => {
    // A runtimeClassName names the tenant's own RuntimeClass: its handler is class-sync.ts's to judge.
    expect(hostClasses(() => DEFAULT_POLICY).handles(attrs('', 'pods', { spec: {} }))).toBe(false);
    expect(
      await run(
        { allowedStorageClasses: ['standard'] },
        attrs('', 'persistentvolumeclaims', { spec: { storageClassName: 'fast' } }),
      ),
    ).toBe(
      '403 persistentvolumeclaims "x" is forbidden: spec.storageClassName: "fast" is not one of the classes this tenant may use: "standard"',
    );
    const sts = {
      spec: {
        volumeClaimTemplates: [
          { spec: { storageClassName: 'standard' } },
          { spec: { storageClassName: 'fast' } },
        ],
      },
    };
    expect(await run({ allowedStorageClasses: ['standard'] }, attrs('apps', 'statefulsets', sts))).toContain(
      'spec.volumeClaimTemplates[1].spec.storageClassName: "fast"',
    );
    expect(
      await run(
        { allowedIngressClasses: ['public'] },
        attrs('networking.k8s.io', 'ingresses', { spec: { ingressClassName: 'internal' } }),
      ),
    ).toContain('spec.ingressClassName: "internal"');
  });
  it('allows listed classes, no class, and a class the object already had', async () => {
    expect(
      await run(
        { allowedStorageClasses: ['standard'] },
        attrs('', 'persistentvolumeclaims', { spec: { storageClassName: 'standard' } }),
      ),
    ).toBe('allowed');
    expect(
      await run(
        { allowedStorageClasses: [] },
        attrs('', 'persistentvolumeclaims', { spec: { storageClassName: '' } }),
      ),
    ).toBe('allowed');
    const old = { spec: { ingressClassName: 'internal' } };
    expect(await run({ allowedIngressClasses: [] }, attrs('networking.k8s.io', 'ingresses', old, old))).toBe(
      'allowed',
    );
  });
});
