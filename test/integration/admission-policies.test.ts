// ValidatingAdmissionPolicies a tenant creates judge that tenant's writes: host-backed ones
// (Deployments, judged on the host's dry-run result before the real write) and virtual ones
// (custom resources). A denial has the host kube-apiserver's own Status, compared in the same run.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { apiClient } from '../helpers/api-client.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const applyTo = (kubeconfig: string, obj: unknown): string =>
  kubectlOk(kubeconfig, ['apply', '-f', '-'], JSON.stringify(obj));

const label = `vap-${randomBytes(3).toString('hex')}`;

const policy = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name: `${label}.replicas` },
  spec: {
    matchConstraints: {
      namespaceSelector: { matchLabels: { [label]: 'true' } },
      resourceRules: [
        {
          apiGroups: ['apps'],
          apiVersions: ['v1'],
          operations: ['CREATE', 'UPDATE'],
          resources: ['deployments'],
        },
      ],
    },
    variables: [{ name: 'replicas', expression: 'object.spec.replicas' }],
    validations: [
      {
        expression: 'variables.replicas > 1',
        messageExpression: "'wants replicas > 1, got ' + string(variables.replicas)",
      },
    ],
  },
};
const binding = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  metadata: { name: `${label}.replicas-binding` },
  spec: { policyName: `${label}.replicas`, validationActions: ['Deny'] },
};

const deployment = (name: string, replicas?: number) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    // Left out, the host defaults it to 1: the policy must see the defaulted object.
    ...(replicas === undefined ? {} : { replicas }),
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
  },
});

describe('validating admission policies in a tenant', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;
  let hostApi: HostClient;
  let tenantApi: HostClient;
  const hostNs = `${label}-host`;

  beforeAll(async () => {
    env = await startTenantEnv(host);
    kc = await env.tenant('vap');
    for (const k of [kc, host.kubeconfig]) {
      const ns = k === kc ? 'guarded' : hostNs;
      kubectlOk(k, ['create', 'ns', ns]);
      kubectlOk(k, ['label', 'ns', ns, `${label}=true`]);
      applyTo(k, policy);
      applyTo(k, binding);
    }
    kubectlOk(kc, ['create', 'ns', 'open']);
    hostApi = await apiClient(host.kubeconfig);
    tenantApi = await apiClient(kc);
  });
  afterAll(async () => {
    kubectl(host.kubeconfig, [
      'delete',
      'validatingadmissionpolicybinding',
      binding.metadata.name,
      '--ignore-not-found',
    ]);
    kubectl(host.kubeconfig, [
      'delete',
      'validatingadmissionpolicy',
      policy.metadata.name,
      '--ignore-not-found',
    ]);
    kubectl(host.kubeconfig, ['delete', 'ns', hostNs, '--wait=false']);
    await hostApi?.close();
    await tenantApi?.close();
    await env?.close();
  });

  it("refuses a write with the host apiserver's Status, on the object as the host would store it", async () => {
    const body = deployment('web'); // replicas defaulted to 1 by the host
    let h = await hostApi.request<Record<string, unknown>>(
      'POST',
      `/apis/apps/v1/namespaces/${hostNs}/deployments`,
      body,
    );
    // The host's policy informer takes a moment to see a new policy, kplex's store does not.
    for (let i = 0; i < 300 && h.status === 201; i++) {
      await hostApi.request('DELETE', `/apis/apps/v1/namespaces/${hostNs}/deployments/web`);
      await new Promise((r) => setTimeout(r, 100));
      h = await hostApi.request<Record<string, unknown>>(
        'POST',
        `/apis/apps/v1/namespaces/${hostNs}/deployments`,
        body,
      );
    }
    const t = await tenantApi.request<Record<string, unknown>>(
      'POST',
      '/apis/apps/v1/namespaces/guarded/deployments',
      body,
    );
    expect(h.status).toBe(422);
    expect(t.status).toBe(h.status);
    expect(t.body).toEqual(h.body);
    expect(t.body['message']).toBe(
      `deployments.apps "web" is forbidden: ValidatingAdmissionPolicy '${label}.replicas' with binding '${label}.replicas-binding' denied request: wants replicas > 1, got 1`,
    );
    // Denied means nothing was written: the dry run left no object behind.
    expect(kubectl(kc, ['get', 'deploy', 'web', '-n', 'guarded']).stderr).toContain('not found');
  });

  it('lets allowed writes, other namespaces and unmatched subresources through', () => {
    kubectlOk(kc, ['apply', '-n', 'guarded', '-f', '-'], JSON.stringify(deployment('wide', 2)));
    const down = kubectl(kc, [
      'patch',
      'deploy',
      'wide',
      '-n',
      'guarded',
      '--type=merge',
      '-p',
      '{"spec":{"replicas":1}}',
    ]);
    expect(down.code).not.toBe(0);
    expect(down.stderr).toContain('denied request: wants replicas > 1, got 1');
    kubectlOk(kc, ['scale', 'deploy', 'wide', '-n', 'guarded', '--replicas=1']); // deployments/scale is not in the rules
    kubectlOk(kc, ['apply', '-n', 'open', '-f', '-'], JSON.stringify(deployment('single', 1)));
  });

  it('judges virtual objects too, and a Warn binding warns instead of refusing', () => {
    applyTo(kc, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'ns-owner' },
      spec: {
        matchConstraints: {
          resourceRules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['namespaces'] },
          ],
        },
        validations: [
          {
            expression: "has(object.metadata.labels) && 'owner' in object.metadata.labels",
            message: 'namespaces need an owner label',
          },
        ],
      },
    });
    const bind = (actions: string[]) =>
      applyTo(kc, {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: 'ns-owner' },
        spec: { policyName: 'ns-owner', validationActions: actions },
      });
    bind(['Deny']);
    const refused = kubectl(kc, ['create', 'ns', 'nameless']);
    expect(refused.code).not.toBe(0);
    // kubectl renders a 422 as "The namespaces "nameless" is invalid: <cause>".
    expect(refused.stderr).toContain(
      "ValidatingAdmissionPolicy 'ns-owner' with binding 'ns-owner' denied request: namespaces need an owner label",
    );
    bind(['Warn']);
    const warned = kubectl(kc, ['create', 'ns', 'nameless']);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain(
      "Warning: Validation failed for ValidatingAdmissionPolicy 'ns-owner' with binding 'ns-owner': namespaces need an owner label",
    );
    kubectlOk(kc, ['delete', 'validatingadmissionpolicybinding', 'ns-owner']);
    expect(kubectl(kc, ['create', 'ns', 'nameless-2']).stderr).toBe('');
  });
});
