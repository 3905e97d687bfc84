// kplex's RoleBinding in its host namespaces (--host-namespace-role), against a recording host.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { HostClient, HostResponse } from '../../../src/hostapi/host-client.js';
import { grantExisting, hostNamespaceGrant } from '../../../src/tenancy/host-namespace-grant.js';

interface Call {
  method: string;
  path: string;
  body?: unknown;
}

/** A host that answers from `answer` and records every call. */
function fakeHost(answer: (c: Call) => { status: number; body?: unknown }): {
  host: HostClient;
  calls: Call[];
} {
  const calls: Call[] = [];
  const request = (method: string, path: string, body?: unknown): Promise<HostResponse> => {
    const c = { method, path, body };
    calls.push(c);
    const a = answer(c);
    return Promise.resolve({ status: a.status, body: a.body, headers: {} });
  };
  const must = async (method: string, path: string, body?: unknown): Promise<HostResponse> => {
    const r = await request(method, path, body);
    if (r.status >= 300) throw new Error(`host ${method} ${path}: ${r.status}`);
    return r;
  };
  return { host: { request, must } as unknown as HostClient, calls };
}

const whoami = (user: string) => ({ status: 201, body: { status: { userInfo: { username: user } } } });
const silent = pino({ level: 'silent' });

describe('hostNamespaceGrant', () => {
  it("binds the role to kplex's ServiceAccount, waits until the host allows it, then never again", async () => {
    let reviews = 0;
    const { host, calls } = fakeHost((c) => {
      if (c.path.endsWith('/selfsubjectreviews')) return whoami('system:serviceaccount:kplex-system:kplex');
      if (c.path.endsWith('/rolebindings')) return { status: 201 };
      // The authorizer cache catches up on the third review.
      return { status: 201, body: { status: { allowed: ++reviews >= 3 } } };
    });
    const grant = hostNamespaceGrant(host, 'kplex-host-namespace');
    await grant('t-app');
    const binding = calls.find(
      (c) => c.path === '/apis/rbac.authorization.k8s.io/v1/namespaces/t-app/rolebindings',
    );
    expect(binding?.body).toMatchObject({
      roleRef: { kind: 'ClusterRole', name: 'kplex-host-namespace' },
      subjects: [{ kind: 'ServiceAccount', name: 'kplex', namespace: 'kplex-system' }],
    });
    expect(reviews).toBe(3);
    const before = calls.length;
    await grant('t-app');
    expect(calls.length).toBe(before);
  });

  it('binds a user that is no ServiceAccount as a User, and takes an existing binding as done', async () => {
    const { host, calls } = fakeHost((c) => {
      if (c.path.endsWith('/selfsubjectreviews')) return whoami('kplex-admin');
      if (c.path.endsWith('/rolebindings')) return { status: 409 };
      throw new Error(`unexpected ${c.path}`);
    });
    await hostNamespaceGrant(host, 'r')('ns1');
    expect(calls.find((c) => c.path.endsWith('/rolebindings'))?.body).toMatchObject({
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'kplex-admin' }],
    });
  });

  it('fails loudly when the host refuses the binding or never says who kplex is', async () => {
    const refused = fakeHost((c) =>
      c.path.endsWith('/selfsubjectreviews') ? whoami('u') : { status: 403, body: { message: 'no' } },
    );
    await expect(hostNamespaceGrant(refused.host, 'r')('ns')).rejects.toThrow(
      /binding r in host namespace ns: 403/,
    );
    const anonymous = fakeHost(() => ({ status: 403 }));
    await expect(hostNamespaceGrant(anonymous.host, 'r')('ns')).rejects.toThrow(/did not say who kplex is/);
  });
});

describe('grantExisting', () => {
  it('binds kplex in every labelled host namespace, page by page, skipping terminating ones', async () => {
    const pages: Record<string, { items: unknown[]; metadata: { continue?: string } }> = {
      '': {
        items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b', deletionTimestamp: 'x' } }],
        metadata: { continue: 'p2' },
      },
      p2: { items: [{ metadata: { name: 'c' } }], metadata: {} },
    };
    const { host, calls } = fakeHost((c) => {
      const q = new URL(c.path, 'http://x').searchParams;
      expect(q.get('labelSelector')).toBe('kplex.io/tenant-uid');
      return { status: 200, body: pages[q.get('continue') ?? ''] };
    });
    const granted: string[] = [];
    const n = await grantExisting(host, async (ns) => void granted.push(ns), silent);
    expect(granted).toEqual(['a', 'c']);
    expect(n).toBe(2);
    expect(calls).toHaveLength(2);
  });
});
