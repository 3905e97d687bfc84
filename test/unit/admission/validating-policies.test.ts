// ValidatingAdmissionPolicy enforcement over a real SQLite tenant store: matching (rules,
// namespace and object selectors, exclusions), CEL validations with variables and match
// conditions, failure policies, binding actions, params, and the apiserver's denial Status.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KubeObject } from '../../../src/api/object.js';
import { isStatusError } from '../../../src/api/status.js';
import type { AdmissionAttributes } from '../../../src/admission/attributes.js';
import { ValidatingPolicies } from '../../../src/admission/policy/validating-policies.js';
import type { ResourceInfo } from '../../../src/resources/types.js';
import { SqliteTenantStore } from '../../../src/store/sqlite-tenant-store.js';

const ARG = 'admissionregistration.k8s.io';
const paramRow: ResourceInfo = {
  group: 'example.com',
  version: 'v1',
  resource: 'limits',
  kind: 'Limit',
  listKind: 'LimitList',
  singular: 'limit',
  namespaced: true,
  verbs: [],
  placement: 'virtual',
  storageVersion: true,
};

let store: SqliteTenantStore;
let policies: ValidatingPolicies;

function put(resource: string, obj: KubeObject, group = ARG, namespace = ''): void {
  store.create({ group, resource, namespace, name: obj.metadata!.name! }, obj);
}

function policy(name: string, spec: Record<string, unknown>): void {
  put('validatingadmissionpolicies', {
    metadata: { name },
    spec: {
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: ['apps'],
            apiVersions: ['v1'],
            operations: ['CREATE', 'UPDATE'],
            resources: ['deployments'],
          },
        ],
      },
      ...spec,
    },
  });
}

function binding(name: string, policyName: string, spec: Record<string, unknown> = {}): void {
  put('validatingadmissionpolicybindings', {
    metadata: { name },
    spec: { policyName, validationActions: ['Deny'], ...spec },
  });
}

function deployment(
  replicas: number,
  namespace = 'app',
  labels: Record<string, string> = {},
): AdmissionAttributes {
  return {
    operation: 'CREATE',
    resource: { group: 'apps', version: 'v1', resource: 'deployments' },
    subresource: '',
    kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
    namespace,
    name: 'web',
    object: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace, labels },
      spec: { replicas },
    },
    oldObject: null,
    user: { username: 'alice', groups: ['dev'] },
    dryRun: false,
  };
}

async function denial(
  a: AdmissionAttributes,
): Promise<{ code: number; reason?: string; message?: string; details?: unknown }> {
  try {
    await policies.admit(a);
  } catch (err) {
    if (isStatusError(err)) return err.status;
    throw err;
  }
  throw new Error('admitted');
}

beforeEach(() => {
  const dir = mkdtempSync(join(tmpdir(), 'kplex-vap-'));
  store = new SqliteTenantStore('t1', join(dir, 't1.db'), { changeLogRetention: 50 });
  policies = new ValidatingPolicies({
    store: () => store,
    rowForKind: (v, k) => (v === 'example.com/v1' && k === 'Limit' ? paramRow : undefined),
  });
  put('namespaces', { metadata: { name: 'app', labels: { team: 'a' } } }, '');
  put('namespaces', { metadata: { name: 'other', labels: { team: 'b' } } }, '');
});
afterEach(() => store.close());

describe('ValidatingPolicies', () => {
  it('reads no version while nothing of the tenant was written, and sees a binding written since', async () => {
    policy('replicas', { validations: [{ expression: 'object.spec.replicas > 1' }] });
    expect(policies.mayApply(deployment(1))).toBe(false);
    const versions = vi.spyOn(store, 'lastChangeRV');
    expect(policies.mayApply(deployment(1))).toBe(false);
    expect(versions).not.toHaveBeenCalled();
    binding('replicas-b', 'replicas');
    expect(policies.mayApply(deployment(1))).toBe(true);
    expect(versions).toHaveBeenCalled();
    versions.mockRestore();
  });

  it('admits everything while no policy is bound', async () => {
    policy('replicas', { validations: [{ expression: 'object.spec.replicas > 1' }] });
    expect(policies.mayApply(deployment(1))).toBe(false);
    expect(await policies.admit(deployment(1))).toEqual([]);
  });

  it('denies as the apiserver does: 422 Invalid, the policy and binding named, the message as the one cause', async () => {
    policy('replicas', { validations: [{ expression: 'object.spec.replicas > 1' }] });
    binding('replicas-b', 'replicas');
    expect(policies.mayApply(deployment(1))).toBe(true);
    const s = await denial(deployment(1));
    const message =
      "deployments.apps \"web\" is forbidden: ValidatingAdmissionPolicy 'replicas' with binding 'replicas-b' denied request: failed expression: object.spec.replicas > 1";
    expect(s).toMatchObject({ code: 422, reason: 'Invalid', message });
    expect(s.details).toEqual({
      name: 'web',
      group: 'apps',
      kind: 'deployments',
      causes: [{ message: message.slice(message.indexOf('ValidatingAdmissionPolicy')) }],
    });
    expect(await policies.admit(deployment(2))).toEqual([]);
  });

  it('uses messageExpression, then message, and the reason a validation names', async () => {
    policy('p', {
      validations: [
        {
          expression: 'object.spec.replicas > 1',
          messageExpression: "'wants more than 1, got ' + string(object.spec.replicas)",
          reason: 'Forbidden',
        },
      ],
    });
    binding('b', 'p');
    const s = await denial(deployment(1));
    expect(s.code).toBe(403);
    expect(s.reason).toBe('Forbidden');
    expect(s.message).toContain('denied request: wants more than 1, got 1');
    // A messageExpression that fails (string + int) falls back to message.
    store.update(
      { group: ARG, resource: 'validatingadmissionpolicies', namespace: '', name: 'p' },
      {
        metadata: { name: 'p' },
        spec: {
          matchConstraints: {
            resourceRules: [
              {
                apiGroups: ['apps'],
                apiVersions: ['v1'],
                operations: ['CREATE'],
                resources: ['deployments'],
              },
            ],
          },
          validations: [
            {
              expression: 'object.spec.replicas > 1',
              messageExpression: "'got ' + object.spec.replicas",
              message: 'too few',
            },
          ],
        },
      },
    );
    expect((await denial(deployment(1))).message).toMatch(/denied request: too few$/);
  });

  it('evaluates variables in order, each seeing the ones before', async () => {
    policy('vars', {
      variables: [
        { name: 'replicas', expression: 'object.spec.replicas' },
        { name: 'odd', expression: 'variables.replicas % 2 == 1' },
      ],
      validations: [{ expression: 'variables.replicas > 1' }, { expression: 'variables.odd' }],
    });
    binding('b', 'vars');
    expect((await denial(deployment(1))).message).toContain('failed expression: variables.replicas > 1');
    expect((await denial(deployment(2))).message).toContain('failed expression: variables.odd');
    expect(await policies.admit(deployment(3))).toEqual([]);
  });

  it('matches namespace selectors on the tenant namespace labels and object selectors on either object', async () => {
    policy('p', {
      matchConstraints: {
        namespaceSelector: { matchLabels: { team: 'a' } },
        resourceRules: [
          { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['*'], resources: ['deployments'] },
        ],
      },
      validations: [{ expression: "namespaceObject.metadata.name == 'app' && object.spec.replicas > 1" }],
    });
    binding('b', 'p', {
      matchResources: {
        objectSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] },
      },
    });
    expect(await policies.admit(deployment(1, 'app'))).toEqual([]); // object selector: no tier label
    await denial(deployment(1, 'app', { tier: 'web' }));
    expect(await policies.admit(deployment(1, 'other', { tier: 'web' }))).toEqual([]); // namespace selector
    const update = {
      ...deployment(1, 'app'),
      operation: 'UPDATE' as const,
      oldObject: deployment(3, 'app', { tier: 'web' }).object,
    };
    await denial(update); // the old object carried the label
  });

  it('honours excluded rules, subresources and scope', async () => {
    policy('p', {
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: ['*'],
            apiVersions: ['*'],
            operations: ['CREATE'],
            resources: ['*'],
            scope: 'Namespaced',
          },
        ],
        excludeResourceRules: [
          { apiGroups: [''], apiVersions: ['v1'], operations: ['*'], resources: ['configmaps'] },
        ],
      },
      validations: [{ expression: 'false' }],
    });
    binding('b', 'p');
    await denial(deployment(1));
    const cm = {
      ...deployment(1),
      resource: { group: '', version: 'v1', resource: 'configmaps' },
      kind: { group: '', version: 'v1', kind: 'ConfigMap' },
    };
    expect(policies.mayApply(cm)).toBe(false);
    expect(policies.mayApply({ ...deployment(1), subresource: 'scale' })).toBe(false);
    const crd = {
      ...deployment(1),
      namespace: '',
      resource: { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' },
    };
    expect(policies.mayApply(crd)).toBe(false);
    const ns = {
      ...deployment(1),
      namespace: 'app',
      resource: { group: '', version: 'v1', resource: 'namespaces' },
    };
    expect(policies.mayApply(ns)).toBe(false); // a Namespace is cluster-scoped
  });

  it('skips a request a match condition excludes and applies the failure policy to errors', async () => {
    policy('p', {
      matchConditions: [{ name: 'not-alice', expression: "request.userInfo.username != 'alice'" }],
      validations: [{ expression: 'false' }],
    });
    binding('b', 'p');
    expect(await policies.admit(deployment(1))).toEqual([]);
    policy('broken', { validations: [{ expression: 'object.spec.missing > 1' }] });
    binding('b2', 'broken');
    expect((await denial(deployment(1))).message).toContain(
      "ValidatingAdmissionPolicy 'broken' with binding 'b2' denied request: expression 'object.spec.missing > 1' resulted in error: no such key: missing",
    );
    policy('ignored', { failurePolicy: 'Ignore', validations: [{ expression: 'object.nope' }] });
    store.delete({ group: ARG, resource: 'validatingadmissionpolicies', namespace: '', name: 'broken' });
    binding('b3', 'ignored');
    expect(await policies.admit(deployment(1))).toEqual([]);
  });

  it('turns Warn bindings into warnings and Audit bindings into nothing', async () => {
    policy('p', { validations: [{ expression: 'object.spec.replicas > 1', message: 'needs two' }] });
    binding('warn', 'p', { validationActions: ['Warn'] });
    binding('audit', 'p', { validationActions: ['Audit'] });
    expect(await policies.admit(deployment(1))).toEqual([
      "Validation failed for ValidatingAdmissionPolicy 'p' with binding 'warn': needs two",
    ]);
  });

  it('reads params by name or selector, per binding, and applies parameterNotFoundAction', async () => {
    policy('p', {
      paramKind: { apiVersion: 'example.com/v1', kind: 'Limit' },
      validations: [
        {
          expression: 'object.spec.replicas <= params.max',
          messageExpression: "'at most ' + string(params.max)",
        },
      ],
    });
    put(
      'limits',
      { metadata: { name: 'small', namespace: 'app', labels: { size: 's' } }, max: 2 } as KubeObject,
      'example.com',
      'app',
    );
    put(
      'limits',
      { metadata: { name: 'tiny', namespace: 'app', labels: { size: 's' } }, max: 1 } as KubeObject,
      'example.com',
      'app',
    );
    binding('by-name', 'p', { paramRef: { name: 'small', parameterNotFoundAction: 'Deny' } });
    expect(await policies.admit(deployment(2))).toEqual([]);
    expect((await denial(deployment(3))).message).toContain('denied request: at most 2');
    store.delete({
      group: ARG,
      resource: 'validatingadmissionpolicybindings',
      namespace: '',
      name: 'by-name',
    });
    binding('by-selector', 'p', {
      paramRef: { selector: { matchLabels: { size: 's' } }, parameterNotFoundAction: 'Allow' },
    });
    expect((await denial(deployment(2))).message).toContain('at most 1'); // every selected param is evaluated
    expect(await policies.admit(deployment(1, 'other'))).toEqual([]); // none in "other": Allow
    binding('missing', 'p', { paramRef: { name: 'nope', parameterNotFoundAction: 'Deny' } });
    expect((await denial(deployment(1, 'other'))).message).toContain(
      "with binding 'missing' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction",
    );
  });
});
