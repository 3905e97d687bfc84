// The admission and flow-control validators against the apiserver's messages and field paths.
import { describe, expect, it } from 'vitest';
import { fieldErrorMessage } from '../../../src/api/status.js';
import {
  defaultPriorityLevelConfiguration,
  defaultWebhookConfiguration,
} from '../../../src/admission/defaults.js';
import {
  validateFlowSchema,
  validatePriorityLevelConfiguration,
} from '../../../src/admission/flowcontrol-validation.js';
import {
  validateValidatingAdmissionPolicy,
  validateValidatingAdmissionPolicyBinding,
} from '../../../src/admission/policy-validation.js';
import { validateWebhookConfiguration } from '../../../src/admission/webhook-validation.js';
import type { KubeObject } from '../../../src/api/object.js';

const messages = (errs: ReturnType<typeof validateWebhookConfiguration>) => errs.map(fieldErrorMessage);

const hook = (extra: Record<string, unknown> = {}) => ({
  name: 'deny.example.com',
  sideEffects: 'None',
  admissionReviewVersions: ['v1'],
  clientConfig: { service: { namespace: 'ns', name: 'svc', path: '/always-deny' } },
  rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
  ...extra,
});
const config = (...webhooks: unknown[]): KubeObject => ({ metadata: { name: 'c' }, webhooks });
const defaulted = (o: KubeObject, mutating = false): KubeObject => (
  defaultWebhookConfiguration(o, mutating),
  o
);

describe('webhook configurations', () => {
  it('accepts the conformance webhook with match conditions', () => {
    const mc = [{ name: 'expression-1', expression: "object.metadata.namespace == 'production'" }];
    expect(validateWebhookConfiguration(defaulted(config(hook({ matchConditions: mc }))), false)).toEqual([]);
    expect(
      validateWebhookConfiguration(defaulted(config(hook({ matchConditions: mc })), true), true),
    ).toEqual([]);
  });

  it('rejects a match condition that does not compile with "compilation failed"', () => {
    const errs = validateWebhookConfiguration(
      config(
        hook({ matchConditions: [{ name: 'invalid-expression-1', expression: '... [] bad expression' }] }),
      ),
      true,
    );
    expect(errs).toHaveLength(1);
    expect(fieldErrorMessage(errs[0]!)).toMatch(
      /^webhooks\[0\]\.matchConditions\[0\]\.expression: Invalid value: "\.\.\. \[\] bad expression": compilation failed: ERROR: <input>:1:2: /,
    );
  });

  it('reports duplicate and unqualified match condition names, empty expressions', () => {
    const errs = messages(
      validateWebhookConfiguration(
        config(
          hook({
            matchConditions: [
              { name: 'a', expression: 'true' },
              { name: 'a', expression: ' ' },
              { name: 'b c', expression: 'true' },
            ],
          }),
        ),
        false,
      ),
    );
    expect(errs).toContain('webhooks[0].matchConditions[1].expression: Required value');
    expect(errs).toContain('webhooks[0].matchConditions[1].name: Duplicate value: "a"');
    expect(
      errs.some((m) =>
        m.startsWith('webhooks[0].matchConditions[2].name: Invalid value: "b c": name part must consist of'),
      ),
    ).toBe(true);
  });

  it('requires a three-segment name, sideEffects None/NoneOnDryRun, exactly one client target, a known review version', () => {
    const errs = messages(
      validateWebhookConfiguration(
        config(
          hook({
            name: 'short.name',
            sideEffects: undefined,
            admissionReviewVersions: ['v2'],
            clientConfig: {},
          }),
          hook({ sideEffects: 'Some', timeoutSeconds: 31 }),
        ),
        false,
      ),
    );
    expect(errs).toEqual([
      'webhooks[0].name: Invalid value: "short.name": should be a domain with at least three segments separated by dots',
      'webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun',
      'webhooks[0].clientConfig: Required value: exactly one of url or service is required',
      'webhooks[0].admissionReviewVersions: Invalid value: []string{"v2"}: must include at least one of v1, v1beta1',
      'webhooks[1].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"',
      'webhooks[1].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds',
    ]);
    const twice = messages(validateWebhookConfiguration(config(hook(), hook()), false));
    expect(twice).toEqual(['webhooks[1].name: Duplicate value: "deny.example.com"']);
  });

  it('checks rules and URLs as the apiserver does', () => {
    const errs = messages(
      validateWebhookConfiguration(
        config(
          hook({
            rules: [
              {
                operations: ['CREATE', '*'],
                apiGroups: [],
                apiVersions: ['v1'],
                resources: ['*', 'pods'],
                scope: 'Everywhere',
              },
            ],
            clientConfig: { url: 'http://example.com/x?q=1' },
          }),
        ),
        false,
      ),
    );
    expect(errs).toEqual([
      `webhooks[0].rules[0].operations: Invalid value: []admissionregistration.OperationType{"CREATE", "*"}: if '*' is present, must not specify other operations`,
      'webhooks[0].rules[0].apiGroups: Required value',
      `webhooks[0].rules[0].resources: Invalid value: []string{"*", "pods"}: if '*' is present, must not specify other resources without subresources`,
      'webhooks[0].rules[0].scope: Unsupported value: "Everywhere": supported values: "*", "Cluster", "Namespaced"',
      `webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]`,
      'webhooks[0].clientConfig.url: Invalid value: "q=1": query parameters are not permitted in the URL',
    ]);
  });

  it('defaults as admissionregistration/v1 does, keeping what was set', () => {
    const o = defaulted(config(hook({ timeoutSeconds: 5 })), true);
    const h = (o['webhooks'] as Record<string, any>[])[0]!;
    expect(h).toMatchObject({
      failurePolicy: 'Fail',
      matchPolicy: 'Equivalent',
      namespaceSelector: {},
      objectSelector: {},
      timeoutSeconds: 5,
      reinvocationPolicy: 'Never',
    });
    expect(h['clientConfig'].service.port).toBe(443);
    expect(h['rules'][0].scope).toBe('*');
    expect(
      (defaulted(config(hook()))['webhooks'] as Record<string, unknown>[])[0]!['reinvocationPolicy'],
    ).toBeUndefined();
  });
});

describe('validating admission policies and bindings', () => {
  const rules = [
    { operations: ['CREATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] },
  ];
  it('requires validations or auditAnnotations, matchConstraints.resourceRules, and compiling expressions', () => {
    const errs = messages(
      validateValidatingAdmissionPolicy({
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: { matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {} },
        },
      }),
    );
    expect(errs).toEqual([
      'spec.matchConstraints.resourceRules: Required value',
      'spec.validations: Required value: validations or auditAnnotations must contain at least one item',
      'spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item',
    ]);
    const bad = messages(
      validateValidatingAdmissionPolicy({
        spec: {
          failurePolicy: 'Sometimes',
          matchConstraints: {
            matchPolicy: 'Equivalent',
            namespaceSelector: {},
            objectSelector: {},
            resourceRules: rules,
          },
          validations: [{ expression: 'object.spec.replicas <=', reason: 'Nope' }],
        },
      }),
    );
    expect(bad[0]).toBe(
      'spec.failurePolicy: Unsupported value: "Sometimes": supported values: "Fail", "Ignore"',
    );
    expect(bad[1]).toMatch(
      /^spec\.validations\[0\]\.expression: Invalid value: "object\.spec\.replicas <=": compilation failed: /,
    );
    expect(bad[2]).toBe(
      'spec.validations[0].reason: Unsupported value: "Nope": supported values: "Forbidden", "Invalid", "RequestEntityTooLarge"',
    );
  });

  it('validates a binding: policyName, validationActions, paramRef', () => {
    expect(
      validateValidatingAdmissionPolicyBinding({
        spec: { policyName: 'replicalimit-policy.example.com', validationActions: ['Deny'] },
      }),
    ).toEqual([]);
    expect(
      messages(
        validateValidatingAdmissionPolicyBinding({
          spec: { validationActions: ['Deny', 'Warn'], paramRef: { name: 'p' } },
        }),
      ),
    ).toEqual([
      'spec.policyName: Required value',
      'spec.paramRef.parameterNotFoundAction: Required value',
      'spec.validationActions: Invalid value: []admissionregistration.ValidationAction{"Deny", "Warn"}: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
    ]);
  });
});

describe('flow control', () => {
  const fs = (spec: Record<string, unknown>, name = 'fs'): KubeObject => ({ metadata: { name }, spec });
  it('accepts the conformance FlowSchema and rejects bad precedence, subjects and rules', () => {
    const rules = [
      {
        subjects: [{ kind: 'User', user: { name: 'u' } }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      },
    ];
    expect(
      validateFlowSchema(
        fs({
          matchingPrecedence: 10000,
          priorityLevelConfiguration: { name: 'global-default' },
          distinguisherMethod: { type: 'ByUser' },
          rules,
        }),
      ),
    ).toEqual([]);
    expect(
      messages(
        validateFlowSchema(
          fs({
            matchingPrecedence: 10001,
            priorityLevelConfiguration: {},
            rules: [{ subjects: [{ kind: 'Group', user: { name: 'u' } }] }],
          }),
        ),
      ),
    ).toEqual([
      'spec.matchingPrecedence: Invalid value: 10001: must not be greater than 10000',
      'spec.priorityLevelConfiguration.name: Required value: must reference a priority level',
      'spec.rules[0]: Required value: at least one of resourceRules and nonResourceRules has to be non-empty',
      "spec.rules[0].subjects[0].user: Forbidden: user is forbidden when subject kind is not 'User'",
      "spec.rules[0].subjects[0].group: Required value: group is required when subject kind is 'Group'",
    ]);
  });

  it('validates and defaults priority levels', () => {
    const pl: KubeObject = {
      metadata: { name: 'pl' },
      spec: { type: 'Limited', limited: { limitResponse: { type: 'Queue', queuing: {} } } },
    };
    defaultPriorityLevelConfiguration(pl);
    expect(pl['spec']).toEqual({
      type: 'Limited',
      limited: {
        nominalConcurrencyShares: 30,
        lendablePercent: 0,
        limitResponse: { type: 'Queue', queuing: { handSize: 8, queues: 64, queueLengthLimit: 50 } },
      },
    });
    expect(validatePriorityLevelConfiguration(pl)).toEqual([]);
    expect(
      messages(
        validatePriorityLevelConfiguration({
          metadata: { name: 'pl' },
          spec: { type: 'Exempt', limited: {} },
        }),
      ),
    ).toEqual([
      `spec.type: Invalid value: "Exempt": type must be 'Exempt' if and only if name is 'exempt'`,
      'spec.limited: Forbidden: must be nil if the type is not Limited',
    ]);
  });
});
