// Regular expressions and CEL cost limits, compared with the host's kube-apiserver in the same
// run: Go regexp syntax in CRD `pattern`s (prometheus-operator's), Go's refusals, and the
// estimated-cost checks when a CRD or a ValidatingAdmissionPolicy is written.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { apiClient } from '../helpers/api-client.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

type Schema = Record<string, unknown>;
type Status = Record<string, unknown>;

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

const crd = (group: string, spec: Schema) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `things.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: { plural: 'things', singular: 'thing', kind: 'Thing', listKind: 'ThingList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec } } },
      },
    ],
  },
});

const withRules = (spec: Schema, rules: Schema[]): Schema => ({ ...spec, 'x-kubernetes-validations': rules });
const intList = (extra: Schema = {}) => ({ type: 'array', items: { type: 'integer' }, ...extra });
const NESTED3 = 'self.l.all(x, self.l.all(y, self.l.all(z, x + y + z >= 0)))';

/** Code, reason and causes, the causes sorted (the apiserver walks properties in map order). */
function shape(s: { status: number; body: Status }) {
  const d = (s.body.details ?? {}) as { causes?: { reason: string; field: string; message: string }[] };
  return {
    code: s.status,
    reason: s.body.reason,
    causes: [...(d.causes ?? [])].sort((a, b) =>
      `${a.field}${a.message}`.localeCompare(`${b.field}${b.message}`),
    ),
  };
}

describe('regex and CEL cost parity with the host', () => {
  const host = inject('host');
  let env: TenantEnv;
  let hostApi: HostClient;
  let tenantApi: HostClient;

  beforeAll(async () => {
    env = await startTenantEnv(host);
    hostApi = await apiClient(host.kubeconfig);
    tenantApi = await apiClient(await env.tenant('cel-parity'));
  });
  afterAll(async () => {
    await hostApi?.close();
    await tenantApi?.close();
    await env?.close();
  });

  const both = (method: 'POST' | 'DELETE', path: string, body?: unknown) =>
    Promise.all([hostApi.request<Status>(method, path, body), tenantApi.request<Status>(method, path, body)]);

  /** Writes the CRD with dryRun=All to the host and the tenant and compares the answers. */
  async function compareCrd(group: string, spec: Schema): Promise<ReturnType<typeof shape>> {
    const [h, t] = await both('POST', `${CRDS}?dryRun=All`, crd(group, spec));
    expect(shape(t)).toEqual(shape(h));
    return shape(h);
  }

  describe('Go regexp syntax in CRD patterns', () => {
    const group = 'prom.cel-parity.example.com';
    const spec = {
      type: 'object',
      properties: {
        // prometheus-operator's PrometheusRule / AlertmanagerConfig patterns.
        action: { type: 'string', pattern: '^(?i)(abort|warn)?$' },
        severity: { type: 'string', pattern: '^(?i)(critical|warning|info|none)$' },
        label: { type: 'string', pattern: '^[[:alpha:]_][[:word:]]*\\z' },
        word: { type: 'string', pattern: '^\\pL+$' },
        dotall: { type: 'string', pattern: '(?s)^a.b$' },
      },
    };
    const thing = (name: string, s: Schema) => ({
      apiVersion: `${group}/v1`,
      kind: 'Thing',
      metadata: { name, namespace: 'default' },
      spec: s,
    });
    const things = `/apis/${group}/v1/namespaces/default/things`;

    beforeAll(async () => {
      const [h, t] = await both('POST', CRDS, crd(group, spec));
      expect([h.status, t.status]).toEqual([201, 201]);
      // Wait until both serve the resource.
      for (let i = 0; i < 100; i++) {
        const [hh, tt] = await Promise.all([
          hostApi.request('GET', things),
          tenantApi.request('GET', things),
        ]);
        if (hh.status === 200 && tt.status === 200) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    afterAll(async () => {
      await both('DELETE', `${CRDS}/things.${group}`);
    });

    it('accepts the CRD (host and tenant both created it)', async () => {
      const [h, t] = await Promise.all([
        hostApi.request('GET', `${CRDS}/things.${group}`),
        tenantApi.request('GET', `${CRDS}/things.${group}`),
      ]);
      expect([h.status, t.status]).toEqual([200, 200]);
    });

    it.each([
      [
        'matching values',
        { action: 'ABORT', severity: 'Warning', label: 'job_name', word: 'Grüße', dotall: 'a\nb' },
      ],
      [
        'values that do not match',
        { action: 'stop', severity: 'page', label: '1job', word: 'a1', dotall: 'ab' },
      ],
      ['an empty action and a trailing newline', { action: '', label: 'ok\n' }],
    ])('validates %s as the host does', async (_what, s) => {
      const name = `t-${Math.random().toString(36).slice(2, 8)}`;
      const [h, t] = await Promise.all([
        hostApi.request<Status>('POST', `${things}?dryRun=All`, thing(name, s)),
        tenantApi.request<Status>('POST', `${things}?dryRun=All`, thing(name, s)),
      ]);
      expect(shape(t)).toEqual(shape(h));
    });

    it.each([
      ['a backreference', '(a)\\1'],
      ['a lookahead', '^(?=a)a$'],
      ['a lookbehind', '(?<=a)b'],
      ['a repeat count over 1000', 'a{1001}'],
      ['a bad class range', '[z-a]'],
    ])("refuses %s with the host apiserver's message", async (_what, pattern) => {
      const s = await compareCrd('bad-re.cel-parity.example.com', {
        type: 'object',
        properties: { a: { type: 'string', pattern } },
      });
      expect(s.code).toBe(422);
    });
  });

  describe('estimated CEL cost when a CRD is written', () => {
    const g = 'cost.cel-parity.example.com';
    const cases: [string, Schema][] = [
      [
        'a triple nested all() over an unbounded list',
        withRules({ type: 'object', properties: { l: intList() } }, [{ rule: NESTED3 }]),
      ],
      [
        'a triple nested all() over maxItems 100 (just under the limit)',
        withRules({ type: 'object', properties: { l: intList({ maxItems: 100 }) } }, [{ rule: NESTED3 }]),
      ],
      [
        'a triple nested all() over maxItems 110 (just over the limit)',
        withRules({ type: 'object', properties: { l: intList({ maxItems: 110 }) } }, [{ rule: NESTED3 }]),
      ],
      [
        'a double nested exists() over maxItems 2000',
        withRules({ type: 'object', properties: { l: intList({ maxItems: 2000 }) } }, [
          { rule: 'self.l.exists(x, self.l.exists(y, x == y + 1))' },
        ]),
      ],
      [
        'matches() on the items of an unbounded list of unbounded strings',
        {
          type: 'object',
          properties: {
            l: {
              type: 'array',
              items: { type: 'string', 'x-kubernetes-validations': [{ rule: "self.matches('^[a-z]+$')" }] },
            },
          },
        },
      ],
      [
        'matches() on bounded items',
        {
          type: 'object',
          properties: {
            l: {
              type: 'array',
              maxItems: 10,
              items: {
                type: 'string',
                maxLength: 64,
                'x-kubernetes-validations': [{ rule: "self.matches('^[a-z]+$')" }],
              },
            },
          },
        },
      ],
      [
        'string functions on an unbounded string',
        withRules({ type: 'object', properties: { s: { type: 'string' } } }, [
          { rule: "self.s.split(',').all(x, x.size() < 10)" },
          { rule: "self.s.lowerAscii().contains('abc')" },
        ]),
      ],
      [
        'a rule under a map without maxProperties',
        {
          type: 'object',
          properties: {
            m: {
              type: 'object',
              additionalProperties: {
                type: 'object',
                properties: { v: { type: 'string', maxLength: 100 } },
                'x-kubernetes-validations': [{ rule: "self.v.startsWith('x')" }],
              },
            },
          },
        },
      ],
      [
        'twelve rules just under the per-rule limit (over the CRD total)',
        withRules(
          { type: 'object', properties: { l: intList({ maxItems: 100 }) } },
          Array.from({ length: 12 }, (_, i) => ({ rule: `${NESTED3} || ${i} > 0` })),
        ),
      ],
      [
        'an expensive messageExpression',
        withRules({ type: 'object', properties: { l: { type: 'array', items: { type: 'string' } } } }, [
          {
            rule: 'size(self.l) < 5',
            messageExpression: "self.l.map(x, self.l.map(y, x + y).join(',')).join(';')",
          },
        ]),
      ],
      [
        'realistic rules (Gateway-API-like)',
        withRules(
          {
            type: 'object',
            properties: {
              port: { type: 'integer' },
              name: { type: 'string', maxLength: 253 },
              l: {
                type: 'array',
                maxItems: 64,
                items: { type: 'object', properties: { name: { type: 'string', maxLength: 63 } } },
              },
            },
          },
          [
            { rule: 'self.port > 0 && self.port < 65536' },
            { rule: "self.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')" },
            { rule: 'self.l.all(a, self.l.exists_one(b, a.name == b.name))' },
          ],
        ),
      ],
    ];

    // What the host answers for some of them, so that the comparison is known to cover both outcomes.
    const expected: Record<string, number> = {
      'a triple nested all() over an unbounded list': 422,
      'a triple nested all() over maxItems 100 (just under the limit)': 201,
      'a triple nested all() over maxItems 110 (just over the limit)': 422,
      'matches() on bounded items': 201,
      'twelve rules just under the per-rule limit (over the CRD total)': 422,
      'realistic rules (Gateway-API-like)': 201,
    };

    it.each(cases)('answers as the host for %s', async (what, spec) => {
      const s = await compareCrd(g, spec);
      if (expected[what]) expect(s.code).toBe(expected[what]);
    });
  });

  describe('a ValidatingAdmissionPolicy with expensive expressions', () => {
    it('is accepted or refused as the host does (admission expressions have no static estimate)', async () => {
      const vap = {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name: 'cel-parity-nested' },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: {
            resourceRules: [
              { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] },
            ],
          },
          validations: [
            { expression: 'object.data.all(x, object.data.all(y, object.data.all(z, x != y || y != z)))' },
          ],
        },
      };
      const p = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies?dryRun=All';
      const [h, t] = await Promise.all([
        hostApi.request<Status>('POST', p, vap),
        tenantApi.request<Status>('POST', p, vap),
      ]);
      expect(t.status).toBe(h.status);
    });
  });
});
