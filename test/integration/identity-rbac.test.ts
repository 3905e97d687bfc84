// Tenant RBAC end to end: the bootstrap policy every tenant sees, a user bound to `view` in one
// namespace, escalation prevention, impersonation, whoami and can-i through kplex.
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

describe('identity: tenant RBAC', () => {
  const host = inject('host');
  let env: TenantEnv;
  let admin: string;
  let alice: string;

  beforeAll(async () => {
    env = await startTenantEnv(host);
    admin = await env.tenant('rbac-t');
    alice = await env.tenant('rbac-t', { user: 'alice', groups: ['devs'] });
    kubectlOk(admin, ['create', 'namespace', 'a']);
    kubectlOk(admin, ['create', 'namespace', 'b']);
    kubectlOk(admin, [
      'create',
      'rolebinding',
      'alice-view',
      '--clusterrole=view',
      '--user=alice',
      '-n',
      'a',
    ]);
  }, 120_000);
  afterAll(async () => env?.close());

  it('serves the bootstrap policy with aggregated roles', () => {
    const roles = JSON.parse(kubectlOk(admin, ['get', 'clusterroles', '-o', 'json'])) as {
      items: { metadata: { name: string } }[];
    };
    const names = roles.items.map((r) => r.metadata.name);
    for (const n of [
      'cluster-admin',
      'admin',
      'edit',
      'view',
      'system:basic-user',
      'system:controller:namespace-controller',
    ])
      expect(names).toContain(n);
    const view = JSON.parse(kubectlOk(admin, ['get', 'clusterrole', 'view', '-o', 'json'])) as {
      rules: { resources?: string[] }[];
    };
    expect(view.rules.some((r) => r.resources?.includes('pods'))).toBe(true);
    expect(kubectlOk(admin, ['get', 'roles', '-n', 'kube-system', '-o', 'name'])).toContain(
      'extension-apiserver-authentication-reader',
    );
  });

  it('serves RBAC kinds as tables and protobuf, as kubectl and client-go ask for them', async () => {
    expect(kubectlOk(admin, ['get', 'clusterrolebindings'])).toMatch(/^NAME\s+.*\ncluster-admin\s/m);
    expect(kubectlOk(admin, ['get', 'rolebindings', '-n', 'kube-system', '-o', 'name'])).toContain(
      'rolebinding.rbac.authorization.k8s.io/system::extension-apiserver-authentication-reader',
    );
    const kc = readFileSync(admin, 'utf8');
    const server = /server: (\S+)/.exec(kc)![1]!;
    const token = /token: (\S+)/.exec(kc)![1]!;
    const res = await fetch(`${server}/apis/rbac.authorization.k8s.io/v1/clusterroles/view`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.kubernetes.protobuf' },
      // @ts-expect-error undici option: the serving CA is the test's own
      dispatcher: new Agent({ connect: { rejectUnauthorized: false } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.kubernetes.protobuf');
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 4)).toEqual(
      Buffer.from([0x6b, 0x38, 0x73, 0x00]),
    );
  });

  it('a user bound to view in namespace a lists there, is refused in b and refused to create', () => {
    expect(kubectl(alice, ['get', 'configmaps', '-n', 'a']).code).toBe(0);
    const inB = kubectl(alice, ['get', 'configmaps', '-n', 'b']);
    expect(inB.code).not.toBe(0);
    expect(inB.stderr).toContain(
      'configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "b"',
    );
    const create = kubectl(alice, ['create', 'configmap', 'x', '-n', 'a']);
    expect(create.stderr).toContain(
      'configmaps is forbidden: User "alice" cannot create resource "configmaps" in API group "" in the namespace "a"',
    );
  });

  it('answers can-i, can-i --list and whoami from the tenant policy', () => {
    expect(kubectl(alice, ['auth', 'can-i', 'list', 'pods', '-n', 'a']).stdout.trim()).toBe('yes');
    expect(kubectl(alice, ['auth', 'can-i', 'list', 'pods', '-n', 'b']).stdout.trim()).toBe('no');
    expect(
      kubectl(admin, ['auth', 'can-i', 'delete', 'pods', '-n', 'a', '--as', 'alice']).stdout.trim(),
    ).toBe('no');
    const list = kubectlOk(alice, ['auth', 'can-i', '--list', '-n', 'a']);
    expect(list).toMatch(/pods\s+\[\]\s+\[\]\s+\[get list watch\]/);
    const who = JSON.parse(kubectlOk(alice, ['auth', 'whoami', '-o', 'json'])) as {
      status: { userInfo: { username: string; groups: string[] } };
    };
    expect(who.status.userInfo).toMatchObject({
      username: 'alice',
      groups: ['devs', 'system:authenticated'],
    });
  });

  it('answers SubjectAccessReview and LocalSubjectAccessReview with the deciding binding', () => {
    const sar = (kind: string, ns: string | undefined, spec: unknown) =>
      JSON.parse(
        kubectlOk(
          admin,
          ['create', '--validate=false', '-o', 'json', '-f', '-'],
          JSON.stringify({
            apiVersion: 'authorization.k8s.io/v1',
            kind,
            metadata: ns ? { namespace: ns } : {},
            spec,
          }),
        ),
      ) as {
        status: { allowed: boolean; reason?: string };
      };
    const attrs = (ns: string) => ({ namespace: ns, verb: 'list', resource: 'configmaps' });
    expect(
      sar('SubjectAccessReview', undefined, { user: 'alice', resourceAttributes: attrs('a') }).status,
    ).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "alice-view/a" of ClusterRole "view" to User "alice"',
    });
    expect(
      sar('LocalSubjectAccessReview', 'b', { user: 'alice', resourceAttributes: attrs('b') }).status,
    ).toEqual({ allowed: false });
    const bad = kubectl(
      admin,
      ['create', '--validate=false', '-f', '-'],
      JSON.stringify({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { resourceAttributes: attrs('a') },
      }),
    );
    expect(bad.stderr).toContain(
      'SubjectAccessReview "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified',
    );
  });

  it('refuses impersonation without the impersonate verb', () => {
    const r = kubectl(alice, ['get', 'configmaps', '-n', 'a', '--as', 'bob']);
    expect(r.stderr).toContain(
      'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    const who = JSON.parse(
      kubectlOk(admin, ['auth', 'whoami', '-o', 'json', '--as', 'bob', '--as-group', 'g1']),
    ) as { status: { userInfo: unknown } };
    expect(who.status.userInfo).toEqual({ username: 'bob', groups: ['g1', 'system:authenticated'] });
  });

  it('prevents escalation: a role with rules the writer does not hold is refused', () => {
    kubectlOk(admin, [
      'create',
      'rolebinding',
      'alice-rbac',
      '--clusterrole=admin',
      '--user=alice',
      '-n',
      'b',
    ]);
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'nodes-too', namespace: 'b' },
      rules: [
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['escalate-me'] },
      ],
    };
    const r = kubectl(alice, ['create', '-f', '-'], JSON.stringify(role));
    expect(r.stderr).toContain(
      'Error from server (Forbidden): error when creating "STDIN": roles.rbac.authorization.k8s.io "nodes-too" is forbidden: user "alice" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:["apps"], Resources:["deployments"], Verbs:["escalate-me"]}',
    );
    // binding cluster-admin is refused; binding view (held through admin) is allowed
    expect(
      kubectl(alice, ['create', 'rolebinding', 'x', '--clusterrole=cluster-admin', '--user=eve', '-n', 'b'])
        .code,
    ).not.toBe(0);
    kubectlOk(alice, ['create', 'rolebinding', 'y', '--clusterrole=view', '--user=eve', '-n', 'b']);
  });

  it('server-side applies RBAC objects with their list semantics', () => {
    const role = (verbs: string[]) =>
      JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'ssa', namespace: 'a' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs }],
      });
    kubectlOk(admin, ['apply', '--server-side', '-f', '-'], role(['get', 'list']));
    kubectlOk(admin, ['apply', '--server-side', '-f', '-'], role(['watch']));
    const got = JSON.parse(
      kubectlOk(admin, ['get', 'role', 'ssa', '-n', 'a', '-o', 'json', '--show-managed-fields']),
    ) as {
      rules: { verbs: string[] }[];
      metadata: { managedFields: { manager: string; operation: string }[] };
    };
    expect(got.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['watch'] }]);
    expect(got.metadata.managedFields.map((m) => `${m.manager}/${m.operation}`)).toEqual(['kubectl/Apply']);
  });

  it('stores edits of bootstrap objects as the tenant delta and aggregates labelled roles', () => {
    kubectlOk(admin, ['label', 'clusterrole', 'edit', 'team=x']);
    expect(kubectlOk(admin, ['get', 'clusterrole', 'edit', '-o', 'jsonpath={.metadata.labels.team}'])).toBe(
      'x',
    );
    const agg = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'widgets-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
      rules: [{ apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get'] }],
    };
    kubectlOk(admin, ['apply', '-f', '-'], JSON.stringify(agg));
    expect(kubectlOk(admin, ['get', 'clusterrole', 'view', '-o', 'json'])).toContain('widgets');
    kubectlOk(admin, ['delete', 'clusterrole', 'system:heapster']);
    expect(kubectl(admin, ['get', 'clusterrole', 'system:heapster']).stderr).toContain('NotFound');
  });
});
