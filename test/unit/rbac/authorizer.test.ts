// The RBAC algorithm over a tenant's effective policy: rule matching (verbs, groups, resources,
// subresources, resourceNames, nonResourceURLs, `*`), role references, the apiserver's messages.
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuthorizationAttributes } from '../../../src/authorizer/authorizer.js';
import { bootstrapPolicy } from '../../../src/rbac/bootstrap-policy.js';
import { checkBindingWrite, checkRoleWrite } from '../../../src/rbac/escalation.js';
import { OverlayStore } from '../../../src/rbac/overlay-store.js';
import { RbacPolicy } from '../../../src/rbac/policy.js';
import { decide, forbiddenFor } from '../../../src/rbac/rbac-authorizer.js';
import { openStore } from '../store/helpers.js';

const G = 'rbac.authorization.k8s.io';

function policyWith(objects: { resource: string; ns?: string; obj: Record<string, unknown> }[]): RbacPolicy {
  const inner = openStore();
  const store = new OverlayStore(() => inner, bootstrapPolicy);
  for (const o of objects) {
    const name = (o.obj['metadata'] as { name: string }).name;
    store.create({ group: G, resource: o.resource, namespace: o.ns ?? '', name }, o.obj);
  }
  return new RbacPolicy(store);
}

const req = (
  user: string,
  verb: string,
  resource: string,
  extra: Partial<AuthorizationAttributes> = {},
): AuthorizationAttributes => ({
  user: { username: user, groups: ['system:authenticated'] },
  verb,
  isResourceRequest: true,
  path: '',
  namespace: 'a',
  apiGroup: '',
  apiVersion: 'v1',
  resource,
  subresource: '',
  name: '',
  ...extra,
});

const mkPolicy = () =>
  policyWith([
    {
      resource: 'roles',
      ns: 'a',
      obj: {
        metadata: { name: 'r', namespace: 'a' },
        rules: [
          { apiGroups: [''], resources: ['configmaps'], resourceNames: ['cm1'], verbs: ['get'] },
          { apiGroups: ['*'], resources: ['*/status'], verbs: ['update'] },
        ],
      },
    },
    {
      resource: 'rolebindings',
      ns: 'a',
      obj: {
        metadata: { name: 'rb', namespace: 'a' },
        roleRef: { apiGroup: G, kind: 'Role', name: 'r' },
        subjects: [
          { kind: 'User', apiGroup: G, name: 'u' },
          { kind: 'ServiceAccount', name: 'sa' },
        ],
      },
    },
    {
      resource: 'rolebindings',
      ns: 'a',
      obj: {
        metadata: { name: 'dangling', namespace: 'a' },
        roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'missing' },
        subjects: [{ kind: 'User', apiGroup: G, name: 'u' }],
      },
    },
    {
      resource: 'clusterrolebindings',
      obj: {
        metadata: { name: 'v' },
        roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'Group', apiGroup: G, name: 'viewers' }],
      },
    },
  ]);

let policy: RbacPolicy;
beforeEach(() => {
  policy = mkPolicy();
});

describe('RBAC decisions', () => {
  it('matches resourceNames, */subresource and service accounts of the binding namespace', () => {
    expect(decide(policy, req('u', 'get', 'configmaps', { name: 'cm1' })).allowed).toBe(true);
    expect(decide(policy, req('u', 'get', 'configmaps', { name: 'cm2' })).allowed).toBe(false);
    expect(decide(policy, req('u', 'list', 'configmaps')).allowed).toBe(false);
    expect(
      decide(policy, req('u', 'update', 'deployments', { apiGroup: 'apps', subresource: 'status' })).allowed,
    ).toBe(true);
    expect(decide(policy, req('u', 'update', 'deployments', { apiGroup: 'apps' })).allowed).toBe(false);
    expect(
      decide(policy, req('system:serviceaccount:a:sa', 'get', 'configmaps', { name: 'cm1' })).allowed,
    ).toBe(true);
    expect(
      decide(policy, req('system:serviceaccount:b:sa', 'get', 'configmaps', { name: 'cm1' })).allowed,
    ).toBe(false);
    expect(decide(policy, req('u', 'get', 'configmaps', { name: 'cm1', namespace: 'b' })).allowed).toBe(
      false,
    );
  });

  it('grants the bootstrap bindings (basic-user, public-info-viewer) and groups', () => {
    expect(
      decide(
        policy,
        req('anyone', 'create', 'selfsubjectaccessreviews', {
          apiGroup: 'authorization.k8s.io',
          namespace: '',
        }),
      ).allowed,
    ).toBe(true);
    expect(
      decide(policy, {
        ...req('anyone', 'get', ''),
        isResourceRequest: false,
        path: '/healthz',
        namespace: '',
      }).allowed,
    ).toBe(true);
    const viewer = {
      ...req('v', 'list', 'pods'),
      user: { username: 'v', groups: ['viewers', 'system:authenticated'] },
    };
    expect(decide(policy, viewer)).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by ClusterRoleBinding "v" of ClusterRole "view" to Group "viewers"',
    });
    expect(decide(policy, { ...viewer, resource: 'secrets' }).allowed).toBe(false);
  });

  it('denies with the apiserver message, naming unresolvable roles', () => {
    const a = req('u', 'delete', 'pods', { name: 'p' });
    const d = decide(policy, a);
    expect(d).toEqual({
      allowed: false,
      reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "missing" not found',
    });
    expect(forbiddenFor(a, d.reason).status.message).toBe(
      'pods "p" is forbidden: User "u" cannot delete resource "pods" in API group "" in the namespace "a": RBAC: clusterrole.rbac.authorization.k8s.io "missing" not found',
    );
  });
});

describe('escalation prevention', () => {
  const user = { username: 'u', groups: ['system:authenticated'] };
  it('refuses a role granting more than the writer holds, listing what is missing', () => {
    const role = {
      metadata: { name: 'more', namespace: 'a' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'], resourceNames: ['cm1'] }],
    };
    expect(() => checkRoleWrite(policy, user, 'roles', role)).toThrow(
      'roles.rbac.authorization.k8s.io "more" is forbidden: user "u" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["configmaps"], ResourceNames:["cm1"], Verbs:["list"]}; resolution errors: [clusterrole.rbac.authorization.k8s.io "missing" not found]',
    );
    expect(() =>
      checkRoleWrite(policy, user, 'roles', { ...role, rules: [{ ...role.rules[0]!, verbs: ['get'] }] }),
    ).not.toThrow();
  });
  it('refuses binding a role whose rules the writer does not hold, allows one it holds', () => {
    const b = (kind: string, name: string) => ({
      metadata: { name: 'x', namespace: 'a' },
      roleRef: { apiGroup: G, kind, name },
    });
    expect(() => checkBindingWrite(policy, user, 'rolebindings', b('ClusterRole', 'view'))).toThrow(
      /is attempting to grant RBAC permissions not currently held/,
    );
    expect(() => checkBindingWrite(policy, user, 'rolebindings', b('Role', 'r'))).not.toThrow();
    expect(() => checkBindingWrite(policy, user, 'rolebindings', b('Role', 'nope'))).toThrow(
      'roles.rbac.authorization.k8s.io "nope" not found',
    );
    expect(() =>
      checkBindingWrite(
        policy,
        { username: 'root', groups: ['system:masters'] },
        'rolebindings',
        b('ClusterRole', 'cluster-admin'),
      ),
    ).not.toThrow();
  });
});
