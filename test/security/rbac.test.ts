// RBAC and impersonation: a tenant user with `edit` in ONE namespace (the attacker of the issue's
// exec-proxy finding) tries to widen its rights inside its tenant, to act as someone else, and to
// reach past its tenant. Every attempt is the apiserver's 403 (or 401), and nothing changes.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { Agent, request } from 'undici';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { apiClient } from '../helpers/api-client.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { attack, expectStatus, securityEnv, type SecurityEnv } from './harness.js';

const T = 'sec-rbac';
const OTHER = 'sec-rbac-other';

describe('security: RBAC and impersonation', () => {
  let s: SecurityEnv;
  let mallory: HostClient;
  let malloryKc: string;
  let binder: HostClient;

  const rb = (name: string, roleKind: string, role: string, user: string) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }],
  });

  beforeAll(async () => {
    s = await securityEnv([T, OTHER]);
    const admin = s.kc[T]!;
    kubectlOk(admin, ['create', 'namespace', 'team']);
    kubectlOk(admin, ['create', 'namespace', 'private']);
    kubectlOk(admin, [
      'create',
      'secret',
      'generic',
      'crown-jewels',
      '-n',
      'private',
      '--from-literal=k=jewels',
    ]);
    kubectlOk(admin, [
      'create',
      'rolebinding',
      'mallory-edit',
      '--clusterrole=edit',
      '--user=mallory',
      '-n',
      'team',
    ]);
    // binder may manage RoleBindings in team, but holds no `bind` and nothing else.
    kubectlOk(admin, [
      'create',
      'role',
      'rb-writer',
      '--verb=create,update,patch',
      '--resource=rolebindings',
      '-n',
      'team',
    ]);
    kubectlOk(admin, [
      'create',
      'rolebinding',
      'binder-rb',
      '--role=rb-writer',
      '--user=binder',
      '-n',
      'team',
    ]);
    malloryKc = await s.env.tenant(T, { user: 'mallory', groups: [] });
    mallory = await apiClient(malloryKc);
    binder = await apiClient(await s.env.tenant(T, { user: 'binder', groups: [] }));
  });
  afterAll(async () => {
    await mallory?.close();
    await binder?.close();
    await s?.close();
  });

  const post = (c: HostClient, path: string, body: unknown) => c.request('POST', path, body);

  attack('rbac', 'edit in one namespace cannot read secrets of another', async () => {
    const r = await mallory.request('GET', '/api/v1/namespaces/private/secrets/crown-jewels');
    expectStatus(r, 403, 'Forbidden');
    expect((r.body as { message: string }).message).toContain('User "mallory" cannot get resource "secrets"');
    expect(JSON.stringify(r.body)).not.toContain(Buffer.from('jewels').toString('base64'));
  });

  attack('rbac', 'edit cannot list secrets across namespaces', async () => {
    expectStatus(await mallory.request('GET', '/api/v1/secrets'), 403, 'Forbidden');
  });

  attack('rbac', 'edit cannot bind itself cluster-admin (ClusterRoleBinding)', async () => {
    const crb = {
      ...rb('mallory-admin', 'ClusterRole', 'cluster-admin', 'mallory'),
      kind: 'ClusterRoleBinding',
    };
    expectStatus(
      await post(mallory, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', crb),
      403,
      'Forbidden',
    );
  });

  attack('rbac', 'edit cannot create RoleBindings at all (not even to view)', async () => {
    const r = await post(
      mallory,
      '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings',
      rb('x', 'ClusterRole', 'view', 'mallory'),
    );
    expectStatus(r, 403, 'Forbidden');
  });

  attack(
    'rbac',
    'a RoleBinding writer without bind cannot bind cluster-admin (escalation check)',
    async () => {
      const r = await post(
        binder,
        '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings',
        rb('esc', 'ClusterRole', 'cluster-admin', 'binder'),
      );
      expectStatus(r, 403, 'Forbidden');
      expect((r.body as { message: string }).message).toMatch(
        /attempting to grant RBAC permissions not currently held/,
      );
    },
  );

  attack('rbac', 'a RoleBinding writer cannot bind admin or edit to itself either', async () => {
    for (const role of ['admin', 'edit']) {
      const r = await post(
        binder,
        '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings',
        rb(`esc-${role}`, 'ClusterRole', role, 'binder'),
      );
      expectStatus(r, 403, 'Forbidden');
    }
  });

  attack('rbac', 'edit cannot create Roles (and so none with rules it lacks)', async () => {
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'wide' },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    };
    expectStatus(
      await post(mallory, '/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles', role),
      403,
      'Forbidden',
    );
  });

  attack('rbac', 'edit cannot modify the bootstrap cluster-admin or edit ClusterRoles', async () => {
    for (const name of ['cluster-admin', 'edit']) {
      const r = await mallory.dispatcher.request({
        origin: mallory.origin,
        path: `${mallory.basePath}/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}`,
        method: 'PATCH',
        headers: mallory.headers({
          'content-type': 'application/merge-patch+json',
          accept: 'application/json',
        }),
        body: JSON.stringify({ metadata: { labels: { pwned: 'yes' } } }),
      });
      expect(r.statusCode).toBe(403);
      await r.body.text();
    }
  });

  attack('rbac', 'an aggregation label cannot smuggle rules into edit', async () => {
    const cr = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'sneaky', labels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' } },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['*'] }],
    };
    expectStatus(
      await post(mallory, '/apis/rbac.authorization.k8s.io/v1/clusterroles', cr),
      403,
      'Forbidden',
    );
    expect(kubectl(s.kc[T]!, ['get', 'clusterrole', 'sneaky']).code).not.toBe(0);
  });

  attack('rbac', 'edit cannot impersonate a user, group, ServiceAccount, uid or extra', async () => {
    for (const h of [
      { 'impersonate-user': 'admin' },
      { 'impersonate-user': 'mallory', 'impersonate-group': 'system:masters' },
      { 'impersonate-user': 'system:serviceaccount:kube-system:default' },
      { 'impersonate-user': 'system:admin' },
      { 'impersonate-user': 'mallory', 'impersonate-uid': '1' },
      { 'impersonate-user': 'mallory', 'impersonate-extra-scopes': 'all' },
    ]) {
      const r = await mallory.dispatcher.request({
        origin: mallory.origin,
        path: `${mallory.basePath}/api/v1/namespaces/private/secrets`,
        method: 'GET',
        headers: { ...mallory.headers({ accept: 'application/json' }), ...h },
      });
      const text = await r.body.text();
      expect(r.statusCode, JSON.stringify(h)).toBe(403);
      expect(text).not.toContain('jewels');
    }
  });

  attack('rbac', 'edit cannot delete or relabel namespaces', async () => {
    expectStatus(await mallory.request('DELETE', '/api/v1/namespaces/private'), 403, 'Forbidden');
    expectStatus(await mallory.request('DELETE', '/api/v1/namespaces/team'), 403, 'Forbidden');
  });

  attack('rbac', 'edit cannot write to kube-system or create namespaces', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } };
    expectStatus(await post(mallory, '/api/v1/namespaces/kube-system/configmaps', cm), 403, 'Forbidden');
    expectStatus(
      await post(mallory, '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'mine' },
      }),
      403,
      'Forbidden',
    );
  });

  attack('rbac', 'edit cannot create CRDs, webhooks or admission policies', async () => {
    for (const [path, body] of [
      [
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
        {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: 'xs.e.com' },
        },
      ],
      [
        '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
        {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'MutatingWebhookConfiguration',
          metadata: { name: 'm' },
        },
      ],
      [
        '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies',
        {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'ValidatingAdmissionPolicy',
          metadata: { name: 'p' },
        },
      ],
    ] as const) {
      expectStatus(await post(mallory, path, body), 403, 'Forbidden');
    }
  });

  attack('rbac', 'SubjectAccessReview needs its own permission; self reviews tell the truth', async () => {
    const sar = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'admin', resourceAttributes: { verb: 'get', resource: 'secrets', namespace: 'private' } },
    };
    expectStatus(
      await post(mallory, '/apis/authorization.k8s.io/v1/subjectaccessreviews', sar),
      403,
      'Forbidden',
    );
    const self = await post(mallory, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb: 'get', resource: 'secrets', namespace: 'private' } },
    });
    expect((self.body as { status: { allowed: boolean } }).status.allowed).toBe(false);
  });

  attack('rbac', 'edit cannot read nodes or write host views', async () => {
    expectStatus(await mallory.request('GET', '/api/v1/nodes'), 403, 'Forbidden');
    expectStatus(
      await post(mallory, '/apis/storage.k8s.io/v1/storageclasses', {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: 's' },
        provisioner: 'x',
      }),
      403,
      'Forbidden',
    );
  });

  attack('rbac', 'system:masters in tenant A is nothing in tenant B or on the host', async () => {
    const a = s.api[T]!;
    const r = await a.dispatcher.request({
      origin: a.origin,
      path: `/clusters/${OTHER}/api/v1/namespaces`,
      method: 'GET',
      headers: a.headers(),
    });
    expect(r.statusCode).toBe(401);
    await r.body.text();
    // Straight to the host, with no client certificate: the tenant token alone must prove nothing.
    const onHost = await request(`${s.hostApi.origin}/api/v1/namespaces`, {
      headers: { authorization: a.headers().authorization! },
      dispatcher: new Agent({ connect: { rejectUnauthorized: false } }),
    });
    expect(onHost.statusCode).toBe(401);
    await onHost.body.text();
  });

  attack(
    'rbac',
    'exec into a pod of a namespace the user is not bound in is refused before the host',
    async () => {
      const r = await mallory.request(
        'POST',
        '/api/v1/namespaces/private/pods/any/exec?command=id&stdout=true',
      );
      expectStatus(r, 403, 'Forbidden');
    },
  );

  attack('rbac', 'escalate via a Role the user may update: edit cannot update roles', async () => {
    kubectlOk(s.kc[T]!, ['create', 'role', 'small', '--verb=get', '--resource=configmaps', '-n', 'team']);
    const r = await mallory.dispatcher.request({
      origin: mallory.origin,
      path: `${mallory.basePath}/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles/small`,
      method: 'PATCH',
      headers: mallory.headers({ 'content-type': 'application/json-patch+json', accept: 'application/json' }),
      body: JSON.stringify([
        { op: 'add', path: '/rules/-', value: { apiGroups: ['*'], resources: ['*'], verbs: ['*'] } },
      ]),
    });
    expect(r.statusCode).toBe(403);
    await r.body.text();
  });
});
