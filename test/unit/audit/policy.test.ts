// Audit policy matching as the apiserver's policy checker: first matching rule wins, no rule None.
import { describe, expect, it } from 'vitest';
import { evaluatePolicy, parsePolicy, type AuditAttributes } from '../../../src/audit/policy.js';

const attrs = (a: Partial<AuditAttributes>): AuditAttributes => ({
  user: { username: 'alice', groups: ['devs', 'system:authenticated'] },
  verb: 'get',
  isResourceRequest: true,
  path: '/api/v1/namespaces/shop/pods/p',
  namespace: 'shop',
  apiGroup: '',
  resource: 'pods',
  subresource: '',
  name: 'p',
  ...a,
});

const policy = parsePolicy(`
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  users: ["system:kube-proxy"]
- level: None
  userGroups: ["quiet"]
- level: None
  nonResourceURLs: ["/healthz*", "/version"]
- level: RequestResponse
  resources:
  - group: ""
    resources: ["configmaps"]
    resourceNames: ["tracked"]
- level: Request
  verbs: ["create", "update", "patch"]
  resources:
  - group: ""
    resources: ["pods/exec", "*/status"]
  - group: "apps"
    resources: ["deployments/*"]
- level: Metadata
  omitStages: [ResponseStarted]
  namespaces: ["kube-system"]
- level: Request
  resources:
  - group: "rbac.authorization.k8s.io"
- level: Metadata
  namespaces: [""]
  omitManagedFields: true
- level: Metadata
`);
const level = (a: Partial<AuditAttributes>) => evaluatePolicy(policy, attrs(a)).level;

describe('audit policy matching', () => {
  it('matches users and groups', () => {
    expect(level({ user: { username: 'system:kube-proxy', groups: [] } })).toBe('None');
    expect(level({ user: { username: 'bob', groups: ['x', 'quiet'] } })).toBe('None');
    expect(level({})).toBe('Metadata');
    // A rule naming users never matches a request with no user (failed authentication).
    expect(
      evaluatePolicy(
        parsePolicy(`apiVersion: audit.k8s.io/v1
kind: Policy
rules: [{level: RequestResponse, users: [alice]}]`),
        attrs({ user: undefined }),
      ).level,
    ).toBe('None');
  });

  it('matches non-resource URLs with a trailing wildcard, never resource requests', () => {
    const nr = { isResourceRequest: false, resource: '', namespace: '', name: '' };
    expect(level({ ...nr, path: '/healthz' })).toBe('None');
    expect(level({ ...nr, path: '/healthz/etcd' })).toBe('None');
    expect(level({ ...nr, path: '/version' })).toBe('None');
    expect(level({ ...nr, path: '/versions' })).toBe('Metadata');
  });

  it('matches resources, resource names, subresources and wildcards', () => {
    expect(level({ resource: 'configmaps', name: 'tracked' })).toBe('RequestResponse');
    expect(level({ resource: 'configmaps', name: 'other' })).toBe('Metadata');
    expect(level({ verb: 'create', subresource: 'exec' })).toBe('Request');
    expect(level({ verb: 'get', subresource: 'exec' })).toBe('Metadata'); // verbs filter
    expect(level({ verb: 'update', subresource: 'status' })).toBe('Request'); // */status
    expect(level({ verb: 'update', apiGroup: 'apps', resource: 'deployments', subresource: 'scale' })).toBe(
      'Request',
    ); // deployments/*
    // As the apiserver's checker: "deployments/*" is the resource and all its subresources.
    expect(level({ verb: 'update', apiGroup: 'apps', resource: 'deployments' })).toBe('Request');
    expect(level({ verb: 'update', apiGroup: 'apps', resource: 'replicasets' })).toBe('Metadata');
    // A group with no resources: every resource of the group.
    expect(level({ apiGroup: 'rbac.authorization.k8s.io', resource: 'roles' })).toBe('Request');
  });

  it('matches namespaces ("" is cluster-scoped) and merges omitStages', () => {
    const d = evaluatePolicy(policy, attrs({ namespace: 'kube-system' }));
    expect(d.level).toBe('Metadata');
    expect([...d.omitStages].sort()).toEqual(['RequestReceived', 'ResponseStarted']);
    const cluster = evaluatePolicy(policy, attrs({ namespace: '', resource: 'nodes' }));
    expect(cluster.omitManagedFields).toBe(true);
    expect([...cluster.omitStages]).toEqual(['RequestReceived']);
    expect(evaluatePolicy(policy, attrs({})).omitManagedFields).toBe(false);
  });

  it('is None when no rule matches', () => {
    const p = parsePolicy(
      '{"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"Metadata","verbs":["delete"]}]}',
    );
    expect(evaluatePolicy(p, attrs({})).level).toBe('None');
    expect(evaluatePolicy(p, attrs({ verb: 'delete' })).level).toBe('Metadata');
  });

  it('refuses invalid policies', () => {
    const bad =
      (rules: string, head = 'apiVersion: audit.k8s.io/v1\nkind: Policy\n') =>
      () =>
        parsePolicy(`${head}rules: ${rules}`);
    expect(bad('[{level: Loud}]')).toThrow(/rules\[0\]\.level/);
    expect(bad('[]')).toThrow(/non-empty/);
    expect(bad('[{level: None}]', 'apiVersion: v1\nkind: Policy\n')).toThrow(/audit.k8s.io\/v1/);
    expect(bad('[{level: None, omitStages: [Sometimes]}]')).toThrow(/unsupported stage/);
    expect(bad('[{level: None, users: "alice"}]')).toThrow(/users: must be a list/);
    expect(bad('[{level: None, nonResourceURLs: ["/x"], namespaces: ["a"]}]')).toThrow(/both/);
    expect(() => parsePolicy('- a list')).toThrow(/not an object/);
  });
});
