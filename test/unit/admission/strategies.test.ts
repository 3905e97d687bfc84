// The admission and flow-control kinds through the generic handlers, registry and a real SQLite
// store: defaulting on create, 422 on invalid CEL, status kept apart from spec, PUT semantics.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { admissionStrategies } from '../../../src/admission/strategies.js';
import { builtinVirtualResources } from '../../../src/builtin/builtin-virtual.js';
import { type Harness, startHarness } from '../handlers/harness.js';

const strategies = admissionStrategies();
const rows = builtinVirtualResources.filter((r) => r.strategy?.startsWith('admission-'));

let h: Harness;
beforeEach(async () => {
  h = await startHarness(rows.map((info) => ({ info, strategy: strategies[info.strategy!]! })));
});
afterEach(async () => h.close());

const VWC = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';
const VAP = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies';
const FS = '/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas';

const webhookConfig = (expression: string) => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingWebhookConfiguration',
  metadata: { name: 'e2e' },
  webhooks: [
    {
      name: 'validation-webhook-with-match-conditions.k8s.io',
      sideEffects: 'None',
      admissionReviewVersions: ['v1', 'v1beta1'],
      clientConfig: { service: { namespace: 'ns', name: 'svc', path: '/always-deny' } },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
      matchConditions: [{ name: 'expression-1', expression }],
    },
  ],
});

describe('webhook configurations', () => {
  it('stores a defaulted configuration and updates its match conditions', async () => {
    const c = await h.req('POST', VWC, webhookConfig("object.metadata.namespace == 'production'"));
    expect(c.status).toBe(201);
    expect(c.json.metadata.generation).toBe(1);
    expect(c.json.webhooks[0]).toMatchObject({
      failurePolicy: 'Fail',
      matchPolicy: 'Equivalent',
      timeoutSeconds: 10,
      namespaceSelector: {},
      objectSelector: {},
    });
    const next = structuredClone(c.json);
    next.webhooks[0].matchConditions.push({
      name: 'expression-2',
      expression: "object.metadata.namespace == 'staging'",
    });
    const u = await h.req('PUT', `${VWC}/e2e`, next);
    expect(u.status).toBe(200);
    expect(u.json.webhooks[0].matchConditions).toHaveLength(2);
    expect(u.json.metadata.generation).toBe(2);
  });

  it('answers 422 Invalid with "compilation failed" for a bad match condition', async () => {
    const r = await h.req('POST', VWC, webhookConfig('... [] bad expression'));
    expect(r.status).toBe(422);
    expect(r.json.reason).toBe('Invalid');
    expect(r.json.message).toMatch(
      /^ValidatingWebhookConfiguration\.admissionregistration\.k8s\.io "e2e" is invalid: webhooks\[0\]\.matchConditions\[0\]\.expression: Invalid value: "\.\.\. \[\] bad expression": compilation failed: /,
    );
  });

  it('refuses an update without resourceVersion', async () => {
    const c = await h.req('POST', VWC, webhookConfig('true'));
    delete c.json.metadata.resourceVersion;
    const u = await h.req('PUT', `${VWC}/e2e`, c.json);
    expect(u.status).toBe(422);
  });
});

describe('status of policies and flow schemas', () => {
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { generateName: 'e2e-example-vap-' },
    spec: {
      validations: [{ expression: 'object.spec.replicas <= 100' }],
      matchConstraints: {
        resourceRules: [
          { operations: ['CREATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] },
        ],
      },
    },
  };

  it('resets status on create, keeps it on spec writes and writes it through /status only', async () => {
    const c = await h.req('POST', VAP, { ...policy, status: { conditions: [{ type: 'X' }] } });
    expect(c.status).toBe(201);
    expect(c.json.status).toEqual({});
    expect(c.json.spec).toMatchObject({
      failurePolicy: 'Fail',
      matchConstraints: { matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {} },
    });
    expect(c.json.spec.matchConstraints.resourceRules[0].scope).toBe('*');
    const name = c.json.metadata.name;
    const cond = {
      type: 'PatchStatusFailed',
      status: 'False',
      reason: 'e2e',
      message: 'Set from an e2e test',
      lastTransitionTime: '2024-01-01T00:00:00Z',
    };
    const s = await h.req(
      'PATCH',
      `${VAP}/${name}/status`,
      { status: { conditions: [cond] } },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(s.status).toBe(200);
    expect(s.json.status.conditions).toEqual([cond]);
    const p = await h.req(
      'PATCH',
      `${VAP}/${name}`,
      {
        metadata: { annotations: { patched: 'true' } },
        spec: { failurePolicy: 'Ignore' },
        status: { conditions: [] },
      },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(p.json.spec.failurePolicy).toBe('Ignore');
    expect(p.json.status.conditions).toEqual([cond]);
  });

  it('defaults a FlowSchema and accepts an unconditional PUT', async () => {
    const fs = {
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
      kind: 'FlowSchema',
      metadata: { name: 'fs' },
      spec: {
        priorityLevelConfiguration: { name: 'global-default' },
        rules: [
          {
            subjects: [{ kind: 'Group', group: { name: 'g' } }],
            nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }],
          },
        ],
      },
    };
    const c = await h.req('POST', FS, fs);
    expect(c.status).toBe(201);
    expect(c.json.spec.matchingPrecedence).toBe(1000);
    const u = await h.req('PUT', `${FS}/fs`, { ...fs, spec: { ...fs.spec, matchingPrecedence: 9000 } });
    expect(u.status).toBe(200);
    expect(u.json.spec.matchingPrecedence).toBe(9000);
    const bad = await h.req('PUT', `${FS}/fs`, { ...fs, spec: { ...fs.spec, matchingPrecedence: 1 } });
    expect(bad.status).toBe(422);
    expect(bad.json.message).toContain(
      `spec.matchingPrecedence: Invalid value: 1: only the schema named 'exempt' may have matchingPrecedence 1`,
    );
  });
});
