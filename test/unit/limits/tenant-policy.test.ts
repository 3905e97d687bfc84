// Tenant spec.policy: safe defaults for anything unset or invalid, and the Pod Security labels of
// a host namespace (the stricter of the floor and the tenant's own label, per mode).
import { describe, expect, it } from 'vitest';
import { podSecurityLabels, podSecurityLabelsDiffer, stricter } from '../../../src/limits/pod-security.js';
import {
  DEFAULT_POLICY,
  TenantPolicyBook,
  policyFromSpec,
  policySchema,
} from '../../../src/limits/tenant-policy.js';

const P = 'pod-security.kubernetes.io/';

describe('tenant policy', () => {
  it('defaults: baseline enforced, restricted warned and audited, no system classes, no external IPs', () => {
    expect(policyFromSpec(undefined)).toEqual({
      podSecurity: { enforce: 'baseline', warn: 'restricted', audit: 'restricted', version: 'latest' },
      allowedPriorityClasses: [],
      maxPriority: 0,
      externalIPs: [],
      clusterIPs: [],
      endpointAddresses: [],
      nodePorts: 0,
      loadBalancers: 0,
      loadBalancerStatus: false,
      allowedVolumeTypes: [],
      networkIsolation: true,
      allowIngressFromHostNamespaces: [],
      namespaceQuota: {
        pods: '100',
        services: '50',
        persistentvolumeclaims: '20',
        'requests.storage': '50Gi',
      },
      quota: {
        pods: '500',
        services: '200',
        persistentvolumeclaims: '100',
        'requests.storage': '500Gi',
        namespaces: '100',
      },
      limitRange: [],
      nodeSelector: {},
      allowedTolerations: [],
      allowedRuntimeClasses: null,
      allowedStorageClasses: null,
      allowedIngressClasses: null,
      webhookURLs: false,
      nodes: { view: 'pods', hostWrites: false },
    });
    expect(policyFromSpec({ limits: { objects: 1 } })).toEqual(DEFAULT_POLICY);
  });

  it('takes the Service, network, volume and quota fields; invalid values are their defaults', () => {
    const p = policyFromSpec({
      policy: {
        clusterIPs: ['10.96.200.0/24'],
        nodePorts: 10,
        loadBalancers: -1,
        loadBalancerStatus: 'yes',
        allowedVolumeTypes: ['nfs'],
        networkIsolation: false,
        allowIngressFromHostNamespaces: ['ingress-nginx'],
        namespaceQuota: { pods: 5, cpu: '2', bad: {} },
        limitRange: [{ type: 'Container' }, 'x'],
      },
    });
    expect(p).toMatchObject({
      clusterIPs: ['10.96.200.0/24'],
      nodePorts: 10,
      loadBalancers: 0,
      loadBalancerStatus: false,
      allowedVolumeTypes: ['nfs'],
      networkIsolation: false,
      allowIngressFromHostNamespaces: ['ingress-nginx'],
      namespaceQuota: { pods: '5', cpu: '2' },
      limitRange: [{ type: 'Container' }],
    });
    expect(policyFromSpec({ policy: { namespaceQuota: {} } }).namespaceQuota).toEqual({});
  });

  it('takes valid fields and ignores invalid ones', () => {
    const p = policyFromSpec({
      policy: {
        podSecurity: { enforce: 'privileged', warn: 'nonsense', version: 'v1.29' },
        allowedPriorityClasses: ['system-node-critical', 7],
        externalIPs: ['192.0.2.0/24'],
      },
    });
    expect(p.podSecurity).toEqual({
      enforce: 'privileged',
      warn: 'restricted',
      audit: 'restricted',
      version: 'v1.29',
    });
    expect(p.allowedPriorityClasses).toEqual(['system-node-critical']);
    expect(p.externalIPs).toEqual(['192.0.2.0/24']);
    expect(policyFromSpec({ policy: { podSecurity: { version: 'v1.x' } } }).podSecurity.version).toBe(
      'latest',
    );
    expect(policyFromSpec({ policy: 'x' })).toEqual(DEFAULT_POLICY);
  });

  it('maxPriority: at most the highest user priority, 0 unless a valid integer', () => {
    const max = (v: unknown) => policyFromSpec({ policy: { maxPriority: v } }).maxPriority;
    expect([max(1000), max(-5), max(2000000000), max(1.5), max('9'), max(undefined)]).toEqual([
      1000, -5, 1000000000, 0, 0, 0,
    ]);
  });

  it("nodes: the view of the tenant's pods and no writes unless loosened", () => {
    expect(policyFromSpec({ policy: { nodes: { view: 'all', hostWrites: true } } }).nodes).toEqual({
      view: 'all',
      hostWrites: true,
    });
    expect(policyFromSpec({ policy: { nodes: { view: 'every', hostWrites: 'yes' } } }).nodes).toEqual({
      view: 'pods',
      hostWrites: false,
    });
  });

  it('documents every field with its default in the schema', () => {
    const text = JSON.stringify(policySchema());
    for (const s of ['Default: baseline.', 'Default: restricted.', 'Default: latest.', 'Default: none.'])
      expect(text).toContain(s);
  });

  it('the book reports a change only when the policy changed, by name and UID', () => {
    const book = new TenantPolicyBook();
    const t = (spec: unknown) => ({ metadata: { name: 't', uid: 'u1' }, spec }) as never;
    expect(book.observe({ type: 'ADDED', object: t({}) })).toBe(true);
    expect(book.observe({ type: 'MODIFIED', object: t({ limits: { objects: 3 } }) })).toBe(false);
    expect(
      book.observe({ type: 'MODIFIED', object: t({ policy: { podSecurity: { enforce: 'restricted' } } }) }),
    ).toBe(true);
    expect(book.of('t').podSecurity.enforce).toBe('restricted');
    expect(book.of('u1').podSecurity.enforce).toBe('restricted');
    book.observe({ type: 'DELETED', object: t({}) });
    expect(book.of('t')).toBe(DEFAULT_POLICY);
  });
});

describe('pod security labels', () => {
  it('the stricter level wins; a typo counts for nothing', () => {
    expect(stricter('baseline', 'privileged')).toBe('baseline');
    expect(stricter('baseline', 'restricted')).toBe('restricted');
    expect(stricter('privileged', 'baseline')).toBe('baseline');
    expect(stricter('baseline', 'Privileged')).toBe('baseline');
    expect(stricter('baseline', undefined)).toBe('baseline');
  });

  it('labels every mode and its version; the tenant cannot pick the version', () => {
    const l = podSecurityLabels(DEFAULT_POLICY.podSecurity, {
      [`${P}enforce`]: 'privileged',
      [`${P}enforce-version`]: 'v1.0',
      [`${P}audit`]: 'restricted',
    });
    expect(l).toEqual({
      [`${P}enforce`]: 'baseline',
      [`${P}enforce-version`]: 'latest',
      [`${P}warn`]: 'restricted',
      [`${P}warn-version`]: 'latest',
      [`${P}audit`]: 'restricted',
      [`${P}audit-version`]: 'latest',
    });
  });

  it('tells label sets apart by their Pod Security labels only', () => {
    expect(podSecurityLabelsDiffer({ a: '1', [`${P}enforce`]: 'x' }, { a: '2', [`${P}enforce`]: 'x' })).toBe(
      false,
    );
    expect(podSecurityLabelsDiffer({}, { [`${P}warn`]: 'x' })).toBe(true);
    expect(podSecurityLabelsDiffer(undefined, undefined)).toBe(false);
  });
});
