import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, LIMIT_NAMES, limitsFromSpec, limitsSchema } from '../../../src/limits/limits.js';
import { exceededQuota } from '../../../src/limits/quota.js';
import { TenantLimitsBook } from '../../../src/limits/tenant-limits.js';
import { tenantCRD } from '../../../src/tenancy/tenant-crd.js';
import { isLongRunning } from '../../../src/limits/fairness.js';
import { parseRequestInfo } from '../../../src/api/request-info.js';

describe('tenant limits', () => {
  it('takes valid spec values and defaults the rest', () => {
    expect(limitsFromSpec(undefined)).toEqual(DEFAULT_LIMITS);
    const l = limitsFromSpec({
      limits: { namespaces: 3, objects: -1, watches: 1.5, storeBytes: '9', inFlightRequests: 0 },
    });
    expect(l.namespaces).toBe(3);
    expect(l.objects).toBe(DEFAULT_LIMITS.objects);
    expect(l.watches).toBe(DEFAULT_LIMITS.watches);
    expect(l.storeBytes).toBe(DEFAULT_LIMITS.storeBytes);
    expect(l.inFlightRequests).toBe(0);
  });

  it('documents every limit and its default in the Tenant CRD schema', () => {
    const spec = tenantCRD.spec.versions[0].schema.openAPIV3Schema.properties.spec as unknown as {
      properties: { limits: unknown };
    };
    expect(spec.properties.limits).toEqual(limitsSchema());
    const props = (limitsSchema() as { properties: Record<string, { type: string; description: string }> })
      .properties;
    for (const k of LIMIT_NAMES) {
      expect(props[k]!.type).toBe('integer');
      expect(props[k]!.description).toContain(`Default: ${DEFAULT_LIMITS[k]}.`);
    }
  });

  it('follows the Tenant objects it observes', () => {
    const book = new TenantLimitsBook();
    book.observe({
      type: 'ADDED',
      object: { metadata: { name: 't' }, spec: { limits: { watches: 7 } } } as never,
    });
    expect(book.of('t').watches).toBe(7);
    expect(book.of('other')).toEqual(DEFAULT_LIMITS);
    book.observe({ type: 'DELETED', object: { metadata: { name: 't' } } });
    expect(book.of('t')).toEqual(DEFAULT_LIMITS);
  });

  it('words a refusal as the ResourceQuota admission plugin', () => {
    const s = exceededQuota(
      { group: '', resource: 'namespaces' },
      'n6',
      { 'count/namespaces': 1 },
      { 'count/namespaces': 5 },
      { 'count/namespaces': 5 },
    ).status;
    expect([s.code, s.reason]).toEqual([403, 'Forbidden']);
    expect(s.message).toBe(
      'namespaces "n6" is forbidden: exceeded quota: kplex-tenant-limits, requested: count/namespaces=1, used: count/namespaces=5, limited: count/namespaces=5',
    );
    const two = exceededQuota(
      { group: 'example.com', resource: 'widgets' },
      'w',
      { b: 2, a: 1 },
      { b: 0, a: 0 },
      { b: 1, a: 0 },
    ).status;
    expect(two.message).toContain('requested: a=1,b=2, used: a=0,b=0, limited: a=0,b=1');
  });

  it('treats requests as long-running as the kube-apiserver does', () => {
    const info = (m: string, p: string, q = '') => parseRequestInfo(m, p, new URLSearchParams(q));
    expect(isLongRunning(info('GET', '/api/v1/namespaces/a/configmaps', 'watch=true'))).toBe(true);
    expect(isLongRunning(info('GET', '/api/v1/watch/namespaces/a/configmaps'))).toBe(true);
    expect(isLongRunning(info('POST', '/api/v1/namespaces/a/pods/p/exec'))).toBe(true);
    expect(isLongRunning(info('GET', '/api/v1/namespaces/a/pods/p/log'))).toBe(true);
    expect(isLongRunning(info('GET', '/api/v1/namespaces/a/configmaps'))).toBe(false);
    expect(isLongRunning(info('GET', '/api/v1/namespaces/a/pods/p/status'))).toBe(false);
  });
});
