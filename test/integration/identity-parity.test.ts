// 50 (user, verb, resource, namespace) questions asked with `kubectl auth can-i --as` to the host
// kube-apiserver and to a kplex tenant holding the SAME RBAC objects, compared in one run.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const G = 'rbac.authorization.k8s.io';
const cr = (name: string, rules: unknown[], extra: Record<string, unknown> = {}) => ({
  apiVersion: `${G}/v1`,
  kind: 'ClusterRole',
  metadata: { name, ...(extra['labels'] ? { labels: extra['labels'] } : {}) },
  rules,
  ...(extra['aggregationRule'] ? { aggregationRule: extra['aggregationRule'] } : {}),
});
const subj = (kind: string, name: string, namespace?: string) =>
  kind === 'ServiceAccount' ? { kind, name, namespace } : { kind, name, apiGroup: G };

/** The policy, for namespaces named by `ns` (host and tenant names differ). */
function policy(ns: (n: 'A' | 'B') => string): unknown[] {
  return [
    cr('idp-reader', [
      { apiGroups: [''], resources: ['pods', 'configmaps', 'pods/log'], verbs: ['get', 'list', 'watch'] },
    ]),
    cr('idp-cm-one', [
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['cm1'], verbs: ['get', 'update'] },
    ]),
    cr('idp-deployer', [
      { apiGroups: ['apps'], resources: ['*'], verbs: ['*'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['create'] },
    ]),
    cr('idp-health', [
      { nonResourceURLs: ['/healthz', '/metrics/*'], verbs: ['get'] },
      { apiGroups: [''], resources: ['nodes', 'namespaces'], verbs: ['list'] },
    ]),
    cr('idp-agg', [], {
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'idp/agg': 'true' } }] },
    }),
    cr('idp-agg-part', [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }], {
      labels: { 'idp/agg': 'true' },
    }),
    {
      apiVersion: `${G}/v1`,
      kind: 'Role',
      metadata: { name: 'idp-sub', namespace: ns('A') },
      rules: [{ apiGroups: ['*'], resources: ['*/status'], verbs: ['update'] }],
    },
    {
      apiVersion: `${G}/v1`,
      kind: 'RoleBinding',
      metadata: { name: 'u1-reader', namespace: ns('A') },
      roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'idp-reader' },
      subjects: [subj('User', 'u1')],
    },
    {
      apiVersion: `${G}/v1`,
      kind: 'RoleBinding',
      metadata: { name: 'dev-deployer', namespace: ns('B') },
      roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'idp-deployer' },
      subjects: [subj('User', 'u2'), subj('Group', 'g-dev')],
    },
    {
      apiVersion: `${G}/v1`,
      kind: 'RoleBinding',
      metadata: { name: 'u3-cm', namespace: ns('A') },
      roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'idp-cm-one' },
      subjects: [subj('User', 'u3')],
    },
    {
      apiVersion: `${G}/v1`,
      kind: 'RoleBinding',
      metadata: { name: 'sa-sub', namespace: ns('A') },
      roleRef: { apiGroup: G, kind: 'Role', name: 'idp-sub' },
      subjects: [subj('ServiceAccount', 'sa1', ns('A'))],
    },
    {
      apiVersion: `${G}/v1`,
      kind: 'RoleBinding',
      metadata: { name: 'u5-admin', namespace: ns('B') },
      roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'admin' },
      subjects: [subj('User', 'u5')],
    },
    {
      apiVersion: `${G}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'idp-ops-health' },
      roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'idp-health' },
      subjects: [subj('Group', 'g-ops')],
    },
    {
      apiVersion: `${G}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'idp-u4-agg' },
      roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'idp-agg' },
      subjects: [subj('User', 'u4')],
    },
  ];
}

interface Question {
  who: string[]; // --as / --as-group arguments, with namespace placeholders
  args: string[]; // verb resource [--subresource x]
  ns?: 'A' | 'B';
}

function questions(): Question[] {
  const users: string[][] = [
    ['--as', 'u1'],
    ['--as', 'u2'],
    ['--as', 'u3'],
    ['--as', 'u4'],
    ['--as', 'u5'],
    ['--as', 'u6', '--as-group', 'g-ops'],
    ['--as', 'u7', '--as-group', 'g-dev'],
    ['--as', 'system:serviceaccount:{A}:sa1'],
  ];
  const actions: { args: string[]; ns?: 'A' | 'B' }[] = [
    { args: ['list', 'pods'], ns: 'A' },
    { args: ['get', 'pods', '--subresource', 'log'], ns: 'A' },
    { args: ['create', 'pods'], ns: 'B' },
    { args: ['delete', 'deployments.apps'], ns: 'B' },
    { args: ['get', 'configmaps/cm1'], ns: 'A' },
    { args: ['update', 'configmaps/cm2'], ns: 'A' },
    { args: ['list', 'secrets'], ns: 'B' },
    { args: ['update', 'deployments.apps', '--subresource', 'status'], ns: 'A' },
    { args: ['get', '/healthz'] },
    { args: ['get', '/metrics/cadvisor'] },
    { args: ['list', 'nodes'] },
    { args: ['create', 'rolebindings.rbac.authorization.k8s.io'], ns: 'B' },
    { args: ['create', 'selfsubjectaccessreviews.authorization.k8s.io'] },
  ];
  const out: Question[] = [];
  let i = 0;
  // 50 questions: every user against a rotating window of actions.
  for (let n = 0; out.length < 50; n++) {
    const who = users[n % users.length]!;
    const a = actions[(i++ * 5 + Math.floor(n / users.length)) % actions.length]!;
    out.push({ who, args: a.args, ns: a.ns });
  }
  return out;
}

describe('identity: can-i parity with the host kube-apiserver', () => {
  const host = inject('host');
  let env: TenantEnv;
  let admin: string;
  const hostNs = { A: 'idp-a', B: 'idp-b' };
  const tenantNs = { A: 'a', B: 'b' };

  beforeAll(async () => {
    env = await startTenantEnv(host);
    admin = await env.tenant('idpar');
    for (const n of ['A', 'B'] as const) {
      kubectlOk(host.kubeconfig, ['create', 'namespace', hostNs[n]]);
      kubectlOk(admin, ['create', 'namespace', tenantNs[n]]);
    }
    const list = (objs: unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs });
    kubectlOk(host.kubeconfig, ['apply', '--validate=false', '-f', '-'], list(policy((n) => hostNs[n])));
    kubectlOk(admin, ['apply', '--validate=false', '-f', '-'], list(policy((n) => tenantNs[n])));
    // The host aggregates asynchronously (controller-manager); wait for it.
    const deadline = Date.now() + 30_000;
    while (!kubectlOk(host.kubeconfig, ['get', 'clusterrole', 'idp-agg', '-o', 'json']).includes('secrets')) {
      if (Date.now() > deadline) throw new Error('host did not aggregate idp-agg');
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 120_000);
  afterAll(async () => {
    kubectl(host.kubeconfig, ['delete', 'namespace', hostNs.A, hostNs.B, '--wait=false']);
    kubectl(host.kubeconfig, [
      'delete',
      'clusterrole',
      'idp-reader',
      'idp-cm-one',
      'idp-deployer',
      'idp-health',
      'idp-agg',
      'idp-agg-part',
    ]);
    kubectl(host.kubeconfig, ['delete', 'clusterrolebinding', 'idp-ops-health', 'idp-u4-agg']);
    await env?.close();
  });

  it('answers 50 questions as the host does', () => {
    const qs = questions();
    expect(qs).toHaveLength(50);
    const ask = (kc: string, ns: Record<'A' | 'B', string>, q: Question): string => {
      const who = q.who.map((w) => w.replace('{A}', ns.A));
      const r = kubectl(kc, ['auth', 'can-i', ...q.args, ...(q.ns ? ['-n', ns[q.ns]] : []), ...who]);
      return r.stdout.trim() || `error: ${r.stderr.trim()}`;
    };
    const rows = qs.map((q) => ({
      q: `${q.who.join(' ')} ${q.args.join(' ')} ${q.ns ?? '-'}`,
      host: ask(host.kubeconfig, hostNs, q),
      kplex: ask(admin, tenantNs, q),
    }));
    expect(rows.filter((r) => r.host !== 'yes' && r.host !== 'no')).toEqual([]);
    const mismatches = rows.filter((r) => r.host !== r.kplex);
    expect(mismatches).toEqual([]);
    // The questions are not trivially all-no or all-yes.
    const yes = rows.filter((r) => r.host === 'yes').length;
    expect(yes).toBeGreaterThan(8);
    expect(yes).toBeLessThan(42);
  });
});
