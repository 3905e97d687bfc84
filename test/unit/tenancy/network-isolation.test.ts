// kplex's isolation NetworkPolicy as data, and the refusal of a tenant's update or delete of it.
import { describe, expect, it } from 'vitest';
import { isolationSpec } from '../../../src/tenancy/network-isolation.js';
import { kplexOwnedNames } from '../../../src/admission/reserved-names.js';

const ISOLATION_POLICY = 'kplex-tenant-isolation';
import { DEFAULT_POLICY } from '../../../src/limits/tenant-policy.js';
import type { AdmissionAttributes } from '../../../src/admission/attributes.js';

describe('isolation NetworkPolicy', () => {
  it("admits the tenant's own namespaces (by UID label) and egress to them, DNS and non-link-local addresses", () => {
    const spec = isolationSpec('uid-1', DEFAULT_POLICY);
    expect(spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kplex.io/tenant-uid': 'uid-1' } } }] }],
      egress: [
        { to: [{ namespaceSelector: { matchLabels: { 'kplex.io/tenant-uid': 'uid-1' } } }] },
        {
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
        {
          to: [
            { ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16'] } },
            { ipBlock: { cidr: '::/0', except: ['fe80::/10'] } },
          ],
        },
      ],
    });
  });
  it("excepts the nodes' addresses (each once, by family) and keeps only kplex's ports open on its own", () => {
    const spec = isolationSpec('u', DEFAULT_POLICY, {
      nodeAddresses: ['10.0.0.7', '10.0.0.5', '10.0.0.7', 'fd00::1', 'not-an-ip'],
      kplex: [
        { ip: '10.0.0.5', port: 6443, protocol: 'TCP' },
        { ip: '10.0.0.5', port: 53, protocol: 'UDP' },
      ],
    });
    const egress = spec['egress'] as unknown[];
    expect(egress[2]).toEqual({
      to: [
        { ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16', '10.0.0.5/32', '10.0.0.7/32'] } },
        { ipBlock: { cidr: '::/0', except: ['fe80::/10', 'fd00::1/128'] } },
      ],
    });
    expect(egress[3]).toEqual({
      to: [{ ipBlock: { cidr: '10.0.0.5/32' } }],
      ports: [
        { protocol: 'TCP', port: 6443 },
        { protocol: 'UDP', port: 53 },
      ],
    });
    expect(egress).toHaveLength(4);
  });
  it('lets the host namespaces the Tenant names in (an ingress controller)', () => {
    const spec = isolationSpec('u', { ...DEFAULT_POLICY, allowIngressFromHostNamespaces: ['ingress-nginx'] });
    expect((spec['ingress'] as { from: unknown[] }[])[0]!.from).toContainEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
    });
  });
});

describe('kplex-owned names', () => {
  const a = (operation: AdmissionAttributes['operation'], name: string, resource = 'networkpolicies') =>
    ({
      operation,
      resource: { group: 'networking.k8s.io', version: 'v1', resource },
      subresource: '',
      kind: { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' },
      namespace: 'app',
      name,
      object: null,
      oldObject: null,
      user: { username: 'u', groups: [] },
      dryRun: false,
    }) as AdmissionAttributes;
  const p = kplexOwnedNames();
  it("refuses a tenant's update or delete of kplex's NetworkPolicy, and nothing else", async () => {
    expect(p.handles(a('DELETE', ISOLATION_POLICY))).toBe(true);
    expect(p.handles(a('UPDATE', ISOLATION_POLICY))).toBe(true);
    expect(p.handles(a('DELETE', 'mine'))).toBe(false);
    expect(p.handles(a('DELETE', ISOLATION_POLICY, 'ingresses'))).toBe(false);
    await expect(p.validate!(a('DELETE', ISOLATION_POLICY), {})).rejects.toMatchObject({
      status: {
        code: 403,
        reason: 'Forbidden',
        message: expect.stringContaining(
          'networkpolicies.networking.k8s.io "kplex-tenant-isolation" is forbidden: the name is kplex\'s own object',
        ) as unknown,
      },
    });
  });
});
