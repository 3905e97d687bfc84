// Tenant limits through the real kubectl: the Tenant CRD documents them (kubectl explain), an
// admin sets them on the host, and the tenant's kubectl sees the apiserver's quota error and
// API Priority and Fairness' 429.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_LIMITS, LIMIT_NAMES } from '../../src/limits/limits.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const T = 'limits-tenant';

describe('tenant limits', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;

  const setLimits = (limits: Record<string, number> | null): string =>
    kubectlOk(host.kubeconfig, [
      'patch',
      'tenant',
      T,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { limits } }),
    ]);

  beforeAll(async () => {
    env = await startTenantEnv(host);
    kc = await env.tenant(T);
  });
  afterAll(async () => env?.close());

  it('documents every limit and its default in the Tenant CRD (kubectl explain)', () => {
    const out = kubectlOk(host.kubeconfig, ['explain', 'tenants.spec.limits']);
    for (const k of LIMIT_NAMES) {
      expect(out).toContain(k);
      expect(out).toContain(`Default: ${DEFAULT_LIMITS[k]}.`);
    }
    const bad = kubectl(host.kubeconfig, [
      'patch',
      'tenant',
      T,
      '--type',
      'merge',
      '-p',
      '{"spec":{"limits":{"namespaces":-1}}}',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(
      'spec.limits.namespaces: Invalid value: -1: spec.limits.namespaces in body should be greater than or equal to 0',
    );
  });

  it('refuses a namespace past the limit with the quota error', async () => {
    setLimits({ namespaces: 5 });
    kubectlOk(kc, ['create', 'ns', 'fifth']);
    // kplex follows the Tenant through its watch: poll until the limit applies.
    await expect
      .poll(() => kubectl(kc, ['create', 'ns', 'sixth']).stderr, { timeout: 15_000 })
      .toContain(
        'Error from server (Forbidden): namespaces "sixth" is forbidden: exceeded quota: kplex-tenant-limits, requested: count/namespaces=1, used: count/namespaces=5, limited: count/namespaces=5',
      );
    kubectlOk(kc, ['delete', 'ns', 'fifth', '--wait=true']);
    await expect.poll(() => kubectl(kc, ['create', 'ns', 'sixth']).code, { timeout: 30_000 }).toBe(0);
  });

  it('answers 429 TooManyRequests with Retry-After when the tenant has no seats, and kubectl reports it', async () => {
    setLimits({ inFlightRequests: 0 });
    await expect
      .poll(() => kubectl(kc, ['get', '--raw', '/api/v1/namespaces', '-v=6']).stderr, { timeout: 60_000 })
      .toContain('429 Too Many Requests');
    const r = kubectl(kc, ['get', '--raw', '/api/v1/namespaces']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Error from server (TooManyRequests)');
    setLimits(null);
    await expect.poll(() => kubectl(kc, ['get', 'ns']).code, { timeout: 15_000 }).toBe(0);
  }, 120_000);
});
