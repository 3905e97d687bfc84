// The tenant's RBAC policy is built once and then kept current one written key at a time: after
// any sequence of writes (and rolled-back transactions) it answers exactly as a policy built from
// scratch over the same store, and ClusterRole aggregation follows only the roles it selects.
import { describe, expect, it } from 'vitest';
import type { AuthorizationAttributes } from '../../../src/authorizer/authorizer.js';
import { RbacPolicy } from '../../../src/rbac/policy.js';
import { decide } from '../../../src/rbac/rbac-authorizer.js';
import { TenantRbac } from '../../../src/rbac/tenant-rbac.js';
import { openStore } from '../store/helpers.js';

const G = 'rbac.authorization.k8s.io';
const k = (resource: string, name: string, namespace = '') => ({ group: G, resource, namespace, name });

const attrs = (
  username: string,
  groups: string[],
  verb: string,
  resource: string,
  namespace = 'a',
): AuthorizationAttributes => ({
  user: { username, groups },
  verb,
  isResourceRequest: true,
  path: '',
  namespace,
  apiGroup: '',
  apiVersion: 'v1',
  resource,
  subresource: '',
  name: '',
});

const probes = [
  attrs('u1', ['system:authenticated'], 'get', 'configmaps'),
  attrs('u2', ['team'], 'list', 'secrets'),
  attrs('system:serviceaccount:a:sa', ['system:serviceaccounts'], 'get', 'pods'),
  attrs('u3', ['system:authenticated'], 'create', 'configmaps', 'b'),
];

function same(rbac: TenantRbac): void {
  const fresh = new RbacPolicy(rbac.store);
  for (const p of probes) expect(decide(rbac.policy(), p), JSON.stringify(p.user)).toEqual(decide(fresh, p));
}

describe('incremental RBAC policy', () => {
  it('answers as a fresh build after creates, updates, deletes and a rolled-back transaction', () => {
    const inner = openStore();
    const rbac = new TenantRbac(() => inner);
    const s = rbac.store;
    rbac.policy();
    s.create(k('clusterroles', 'cm-reader'), {
      metadata: { name: 'cm-reader' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
    });
    s.create(k('clusterrolebindings', 'b1'), {
      metadata: { name: 'b1' },
      roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'cm-reader' },
      subjects: [{ kind: 'User', name: 'u1' }],
    });
    same(rbac);
    s.update(k('clusterrolebindings', 'b1'), {
      metadata: { name: 'b1' },
      roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'cm-reader' },
      subjects: [{ kind: 'Group', name: 'team' }],
    });
    s.create(k('rolebindings', 'rb', 'a'), {
      metadata: { name: 'rb', namespace: 'a' },
      roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'ServiceAccount', name: 'sa' }],
    });
    same(rbac);
    expect(() =>
      s.transaction(() => {
        s.delete(k('clusterrolebindings', 'b1'));
        s.create(k('clusterrolebindings', 'b2'), {
          metadata: { name: 'b2' },
          roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'edit' },
          subjects: [{ kind: 'User', name: 'u3' }],
        });
        same(rbac); // read inside the transaction: sees its writes
        throw new Error('roll back');
      }),
    ).toThrow('roll back');
    same(rbac); // and after the rollback: sees them gone
    expect(decide(rbac.policy(), probes[3]!).allowed).toBe(false);
    s.delete(k('clusterroles', 'cm-reader'));
    s.delete(k('clusterrolebindings', 'system:basic-user'));
    same(rbac);
  });

  it('aggregates a new ClusterRole into the roles that select it, and takes it out when its labels change', () => {
    const inner = openStore();
    const rbac = new TenantRbac(() => inner);
    const s = rbac.store;
    const labels = { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' };
    const role = {
      metadata: { name: 'extra', labels },
      rules: [{ apiGroups: ['x.io'], resources: ['things'], verbs: ['get'] }],
    };
    const created = s.create(k('clusterroles', 'extra'), role).object;
    rbac.aggregate(created, undefined);
    const rulesOf = (name: string) => JSON.stringify(s.get(k('clusterroles', name))?.object['rules']);
    for (const name of ['view', 'edit', 'admin']) expect(rulesOf(name)).toContain('x.io');
    const updated = s.update(k('clusterroles', 'extra'), { ...role, metadata: { name: 'extra' } }).object;
    rbac.aggregate(updated, created);
    for (const name of ['view', 'edit', 'admin']) expect(rulesOf(name)).not.toContain('x.io');
    same(rbac);
  });
});
