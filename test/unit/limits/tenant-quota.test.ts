import { describe, expect, it } from 'vitest';
import {
  formatMilli,
  hardOf,
  milliOf,
  namespacesQuota,
  quotaRefusal,
  usageOf,
} from '../../../src/limits/tenant-quota.js';
import { showTenantQuota, unwrapQuotaDenial } from '../../../src/host/tenant-quota-view.js';

describe('tenant quota', () => {
  it('reads quantities in milli-units, rounding up as MilliValue does', () => {
    expect(milliOf('2')).toBe(2000n);
    expect(milliOf('500m')).toBe(500n);
    expect(milliOf('1.5')).toBe(1500n);
    expect(milliOf('1Gi')).toBe(1024n ** 3n * 1000n);
    expect(milliOf('2k')).toBe(2_000_000n);
    expect(milliOf('1e3')).toBe(1_000_000n);
    expect(milliOf('1n')).toBe(1n);
    expect(milliOf(3)).toBe(3000n);
    for (const bad of ['', 'x', '1Q', '--1', {}, null]) expect(milliOf(bad)).toBeUndefined();
  });

  it('writes quantities as Quantity.String() does', () => {
    expect(formatMilli(1500n)).toBe('1500m');
    expect(formatMilli(2000n)).toBe('2');
    expect(formatMilli(0n)).toBe('0');
    expect(formatMilli(1_000_000n)).toBe('1k');
    expect(formatMilli(1024n * 1024n * 1000n, true)).toBe('1Mi');
    expect(formatMilli(1500n * 1000n, true)).toBe('1500');
  });

  it('counts a pod as the evaluator does: containers and sidecars together, init containers alone', () => {
    const c = (cpu: string, restartPolicy?: string) => ({
      resources: { requests: { cpu }, limits: { memory: '1Mi' } },
      ...(restartPolicy ? { restartPolicy } : {}),
    });
    const pod = {
      spec: {
        initContainers: [c('3'), c('100m', 'Always')],
        containers: [c('200m'), c('300m')],
        overhead: { cpu: '10m' },
      },
    };
    const u = usageOf('pods', pod);
    expect(u['pods']).toBe(1000n);
    expect(u['requests.cpu']).toBe(3010n);
    expect(u['limits.memory']).toBe(3n * 1024n * 1024n * 1000n);
    expect(usageOf('pods', { ...pod, status: { phase: 'Succeeded' } })).toEqual({});
    const gone = { metadata: { deletionTimestamp: '2000-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 } };
    expect(usageOf('pods', { ...pod, ...gone })).toEqual({});
    const svc = usageOf('services', { spec: { type: 'NodePort', ports: [{}, {}] } });
    expect(svc).toMatchObject({ services: 1000n, 'services.nodeports': 2000n, 'services.loadbalancers': 0n });
    expect(
      usageOf('persistentvolumeclaims', { spec: { resources: { requests: { storage: '1Ki' } } } }),
    ).toEqual({
      persistentvolumeclaims: 1000n,
      'requests.storage': 1024000n,
    });
  });

  it('refuses as the ResourceQuota plugin, naming only what the request passes', () => {
    const quota = { pods: '3', 'requests.cpu': '2', 'requests.memory': '1Gi', bogus: '1' };
    const hard = hardOf(quota);
    expect(hard['bogus']).toBeUndefined();
    const err = quotaRefusal(
      { group: '', resource: 'pods' },
      'p',
      { pods: 1000n, 'requests.cpu': 500n, 'requests.memory': 0n },
      { pods: 2000n, 'requests.cpu': 1800n, 'requests.memory': 1024n ** 3n * 1000n },
      hard,
      quota,
    );
    expect(err?.status.code).toBe(403);
    expect(err?.status.message).toBe(
      'pods "p" is forbidden: exceeded quota: tenant-quota.kplex.io, requested: requests.cpu=500m, used: requests.cpu=1800m, limited: requests.cpu=2',
    );
    expect(
      quotaRefusal({ group: '', resource: 'pods' }, '', { pods: 1000n }, {}, hard, quota),
    ).toBeUndefined();
    expect(namespacesQuota({ quota: { namespaces: '7' } })).toBe(7);
    expect(namespacesQuota({ quota: {} })).toBeUndefined();
  });

  it('shows the tenant-wide figures in an object, a list and a Table row', () => {
    const figures = () => ({
      hard: { pods: '10', 'limits.cpu': '4' },
      used: { pods: 3000n, 'limits.cpu': 1500n },
    });
    const obj = {
      kind: 'ResourceQuota',
      metadata: { name: 'tenant-quota.kplex.io' },
      spec: { hard: { pods: '10' } },
    };
    showTenantQuota(obj, figures);
    expect(obj).toMatchObject({
      spec: { hard: { pods: '10', 'limits.cpu': '4' } },
      status: { used: { pods: '3', 'limits.cpu': '1500m' } },
    });
    const other = { metadata: { name: 'mine' }, status: { used: { pods: '1' } } };
    showTenantQuota({ items: [other] }, figures);
    expect(other.status.used.pods).toBe('1');
    const table = {
      kind: 'Table',
      columnDefinitions: [{ name: 'Name' }, { name: 'Age' }, { name: 'Request' }, { name: 'Limit' }],
      rows: [
        {
          cells: ['tenant-quota.kplex.io', '1m', 'pods: 1/10', ''],
          object: { metadata: { name: 'tenant-quota.kplex.io' } },
        },
      ],
    };
    showTenantQuota(table, figures);
    expect(table.rows[0]!.cells).toEqual([
      'tenant-quota.kplex.io',
      '1m',
      'pods: 3/10',
      'limits.cpu: 1500m/4',
    ]);
  });

  it("reads kplex's pod webhook quota refusal as the apiserver's own", () => {
    const st = {
      kind: 'Status',
      message:
        'admission webhook "pods.kplex.io" denied the request: pods "p" is forbidden: exceeded quota: tenant-quota.kplex.io, requested: pods=1, used: pods=1, limited: pods=1',
    };
    unwrapQuotaDenial(st);
    expect(st.message).toBe(
      'pods "p" is forbidden: exceeded quota: tenant-quota.kplex.io, requested: pods=1, used: pods=1, limited: pods=1',
    );
    const other = {
      kind: 'Status',
      message: 'admission webhook "pods.kplex.io" denied the request: something else',
    };
    unwrapQuotaDenial(other);
    expect(other.message).toContain('admission webhook');
  });
});
