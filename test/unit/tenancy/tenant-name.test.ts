// One rule for tenant names: DNS labels of at most 40 characters, none that Kubernetes or kplex
// reserve; the Tenant CRD's CEL rule is generated from the same lists.
import { describe, expect, it } from 'vitest';
import { tenantCRD } from '../../../src/tenancy/tenant-crd.js';
import {
  RESERVED_TENANT_NAMES,
  RESERVED_TENANT_PREFIXES,
  tenantNameCelRule,
  tenantNameErrors,
  validTenantName,
} from '../../../src/tenancy/tenant-name.js';

describe('tenant names', () => {
  it.each(['acme', 'team-a', 'a', 'x'.repeat(40), 'kplexy', 'kubeflow', 'systems', 'defaults'])(
    'accepts %s',
    (n) => {
      expect(tenantNameErrors(n)).toEqual([]);
    },
  );

  it.each([
    'kplex',
    'kube',
    'system',
    'default',
    'none',
    'kubernetes',
    'kplex-system',
    'kplex-none',
    'kube-public',
    'system-x',
    'kubernetes-dashboard',
  ])('refuses the reserved %s', (n) => {
    expect(validTenantName(n)).toBe(false);
    expect(tenantNameErrors(n).join()).toMatch(/reserved/);
  });

  it.each(['', 'A', 'a_b', '-a', 'a-', 'a.b', 'x'.repeat(41), '../x', 'a b'])(
    'refuses the malformed %j',
    (n) => {
      expect(validTenantName(n)).toBe(false);
    },
  );

  it('puts the same rule into the Tenant CRD', () => {
    const schema = tenantCRD.spec.versions[0].schema.openAPIV3Schema as unknown as {
      'x-kubernetes-validations': { rule: string }[];
    };
    const rule = schema['x-kubernetes-validations'][0]!.rule;
    expect(rule).toBe(tenantNameCelRule());
    for (const n of RESERVED_TENANT_NAMES) expect(rule).toContain(`'${n}'`);
    for (const p of RESERVED_TENANT_PREFIXES) expect(rule).toContain(`startsWith('${p}')`);
  });
});
