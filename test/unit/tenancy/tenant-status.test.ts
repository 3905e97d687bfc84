// The Tenant status pass: Ready, endpoint and usage written through the status subresource only
// for tenants whose status differs from the host's, a bounded number per pass; idle tenants whose
// stores are closed are read from no file and written nothing.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/api/object.js';
import type { HostClient } from '../../../src/hostapi/host-client.js';
import { createLogger } from '../../../src/log/logger.js';
import type { StoreUsage } from '../../../src/limits/store-usage.js';
import { TenantStatusWriter, tenantEndpoint } from '../../../src/tenancy/tenant-status.js';

interface Call {
  method: string;
  path: string;
  body: { metadata: { uid: string }; status: Record<string, unknown> };
  type: string;
}

/** A host that stores what it is sent, as the status subresource does, and echoes it into `objects`. */
function fixture(n: number) {
  const objects = new Map<string, KubeObject>();
  for (let i = 0; i < n; i++)
    objects.set(`t${i}`, { metadata: { name: `t${i}`, uid: `u${i}`, generation: 1 } } as KubeObject);
  const calls: Call[] = [];
  const host = {
    request: async (method: string, path: string, body: Call['body'], type: string) => {
      calls.push({ method, path, body, type });
      const name = decodeURIComponent(path.split('/')[5]!);
      const obj = objects.get(name)!;
      objects.set(name, { ...obj, status: body.status } as KubeObject);
      return { status: 200, body: {}, headers: {} };
    },
  } as unknown as HostClient;
  const usage = new Map<string, StoreUsage>();
  const onHost = new Map<string, { hostNamespaces: number; pods?: number }>();
  const writer = new TenantStatusWriter({
    host,
    logger: createLogger('silent'),
    tenants: () => objects.keys(),
    tenant: (name) => objects.get(name),
    served: (name) => !name.startsWith('kube-'),
    storeUsage: (uid) => usage.get(uid),
    hostUsage: () => onHost,
    endpoint: tenantEndpoint('10.0.0.5', 443),
    maxWritesPerPass: 50,
    now: () => new Date('2026-12-01T08:00:00.123Z'),
  });
  return { objects, calls, usage, onHost, writer };
}

describe('tenant status', () => {
  it('marks every tenant Ready with its endpoint once, then writes nothing while nothing changes', async () => {
    const f = fixture(3);
    expect(await f.writer.pass()).toBe(3);
    const c = f.calls[0]!;
    expect(c).toMatchObject({
      method: 'PATCH',
      path: '/apis/kplex.io/v1alpha1/tenants/t0/status',
      type: 'application/merge-patch+json',
    });
    expect(c.body.metadata.uid).toBe('u0');
    expect(c.body.status).toEqual({
      endpoint: 'https://10.0.0.5:443/clusters/t0',
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Serving',
          message: 'kplex serves the tenant at its endpoint',
          lastTransitionTime: '2026-12-01T08:00:00Z',
          observedGeneration: 1,
        },
      ],
      usage: { hostNamespaces: 0 },
    });
    expect(await f.writer.pass()).toBe(0);
    expect(await f.writer.pass()).toBe(0);
    expect(f.calls).toHaveLength(3);
  });

  it('writes the usage of a tenant whose counters moved, and only that tenant', async () => {
    const f = fixture(3);
    await f.writer.pass();
    f.usage.set('u1', { objects: 7, bytes: 2048, namespaces: 4 });
    f.onHost.set('u1', { hostNamespaces: 2, pods: 3 });
    expect(await f.writer.pass()).toBe(1);
    expect(f.calls.at(-1)!.path).toContain('/tenants/t1/status');
    expect(f.calls.at(-1)!.body.status['usage']).toEqual({
      objects: 7,
      storeBytes: 2048,
      namespaces: 4,
      hostNamespaces: 2,
      pods: 3,
    });
    // The Ready condition's transition time stays: it has not changed.
    const cond = (f.calls.at(-1)!.body.status['conditions'] as { lastTransitionTime: string }[])[0]!;
    expect(cond.lastTransitionTime).toBe('2026-12-01T08:00:00Z');
    expect(await f.writer.pass()).toBe(0);
  });

  it('keeps the host usage of a tenant whose store is closed (nothing read, nothing written)', async () => {
    const f = fixture(1);
    f.usage.set('u0', { objects: 5, bytes: 100, namespaces: 4 });
    await f.writer.pass();
    f.usage.delete('u0'); // the store closed; kplex restarted
    expect(await f.writer.pass()).toBe(0);
    expect((f.objects.get('t0') as { status: { usage: unknown } }).status.usage).toMatchObject({
      objects: 5,
    });
  });

  it('writes a new observedGeneration after a spec change', async () => {
    const f = fixture(1);
    await f.writer.pass();
    const o = f.objects.get('t0')!;
    f.objects.set('t0', { ...o, metadata: { ...o.metadata, generation: 2 } });
    expect(await f.writer.pass()).toBe(1);
    expect(f.calls.at(-1)!.body.status['conditions']).toMatchObject([{ observedGeneration: 2 }]);
  });

  it('bounds the writes of one pass: 1,000 new tenants take 20 passes of 50, then none', async () => {
    const f = fixture(1000);
    const per: number[] = [];
    for (let i = 0; i < 21; i++) per.push(await f.writer.pass());
    expect(per.slice(0, 20).every((n) => n === 50)).toBe(true);
    expect(per[20]).toBe(0);
    expect(f.calls).toHaveLength(1000);
  });

  it('reports a Tenant of a reserved name as not Ready, with no endpoint', async () => {
    const f = fixture(0);
    f.objects.set('kube-x', { metadata: { name: 'kube-x', uid: 'ux', generation: 1 } } as KubeObject);
    expect(await f.writer.pass()).toBe(1);
    expect(f.calls[0]!.body.status['endpoint']).toBeUndefined();
    expect(f.calls[0]!.body.status['conditions']).toMatchObject([
      { type: 'Ready', status: 'False', reason: 'InvalidName' },
    ]);
    expect(await f.writer.pass()).toBe(0);
  });

  it('skips tenants being deleted', async () => {
    const f = fixture(1);
    const o = f.objects.get('t0')!;
    f.objects.set('t0', { ...o, metadata: { ...o.metadata, deletionTimestamp: '2026-12-01T08:00:00Z' } });
    expect(await f.writer.pass()).toBe(0);
  });

  it('does not write again before the watch has echoed the last write', async () => {
    const f = fixture(1);
    const echo = f.objects;
    await f.writer.pass();
    // The host's watch has not delivered the write yet: the directory still has no status.
    const o = echo.get('t0')!;
    echo.set('t0', { metadata: o.metadata } as KubeObject);
    expect(await f.writer.pass()).toBe(0);
  });
});

describe('tenant endpoint', () => {
  it('names the advertised address and port when known, else the path alone', () => {
    expect(tenantEndpoint('10.0.0.5', 9443)('acme')).toBe('https://10.0.0.5:9443/clusters/acme');
    expect(tenantEndpoint('fd00::1', 443)('acme')).toBe('https://[fd00::1]:443/clusters/acme');
    expect(tenantEndpoint('kplex.example.com', 443)('acme')).toBe(
      'https://kplex.example.com:443/clusters/acme',
    );
    expect(tenantEndpoint('0.0.0.0', 9443, 'https://kplex.example.com/k')('acme')).toBe(
      'https://kplex.example.com/k/clusters/acme',
    );
    for (const wild of ['0.0.0.0', '::', undefined])
      expect(tenantEndpoint(wild, 9443)('acme')).toBe('/clusters/acme');
  });
});
