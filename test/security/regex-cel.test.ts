// Exhaustion through user-supplied regular expressions and CEL (issue 11): a hostile CRD
// `pattern`, CEL matches()/find()/findAll(), and CEL rules and admission policies whose cost
// explodes. Regexes are RE2 (linear), CEL has the apiserver's estimated and runtime cost limits
// and kplex's time budget per request. One tenant attacks; the victim tenant's GET is timed
// meanwhile (p99 <= 100 ms).
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { attack, securityEnv, victimLatency, type SecurityEnv } from './harness.js';

const A = 'sec-recel-a';
const V = 'sec-recel-victim';
const VICTIM_PATH = '/api/v1/namespaces/default';
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const ROUNDS = 12;

type Schema = Record<string, unknown>;
type Body = { message?: string; reason?: string; details?: { causes?: { message: string }[] } };

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
const thing = (group: string, spec: unknown) => ({
  apiVersion: `${group}/v1`,
  kind: 'Thing',
  metadata: { generateName: 't-' },
  spec,
});
const things = (group: string) => `/apis/${group}/v1/namespaces/default/things`;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Everything the answer says, for message assertions. */
const text = (b: unknown) => JSON.stringify(b as Body);

describe('regular expressions and CEL cost', () => {
  let s: SecurityEnv;
  let a: HostClient;
  let victim: HostClient;

  beforeAll(async () => {
    s = await securityEnv([A, V]);
    a = s.api[A]!;
    victim = s.api[V]!;
    // Warm-up: the first custom resource write and GETs of a fresh kplex compile code paths;
    // that one-time cost is not what the attacks measure.
    const g = 'warmup.sec.example.com';
    await defineCrd(g, {
      type: 'object',
      properties: { v: { type: 'string', pattern: '^a+$' } },
      'x-kubernetes-validations': [{ rule: 'self.v.size() > 0' }],
    });
    for (let i = 0; i < 5; i++) {
      await a.request('POST', `${things(g)}?dryRun=All`, thing(g, { v: 'aaa' }));
      await victim.request('GET', VICTIM_PATH);
    }
  }, 120_000);
  afterAll(async () => s?.close());

  /** Creates a CRD in the attacker tenant and waits until its resource is served. */
  async function defineCrd(group: string, spec: Schema): Promise<void> {
    const r = await a.request('POST', CRDS, crd(group, spec));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    for (let i = 0; i < 100; i++) {
      if ((await a.request('GET', things(group))).status === 200) return;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`things.${group} never served`);
  }

  /** `n` sequential writes of `body` to `path`, each answered with `code`; returns the last body. */
  async function repeat(n: number, path: string, body: unknown, code: number): Promise<unknown> {
    let last: unknown;
    for (let i = 0; i < n; i++) {
      const r = await a.request('POST', path, body);
      expect(r.status, JSON.stringify(r.body)).toBe(code);
      last = r.body;
    }
    return last;
  }

  /**
   * One request before the measurement: the first write to a freshly defined resource builds its
   * strategy and compiles code paths once; that one-time cost is not the attack being measured.
   */
  async function warm(path: string, body: unknown): Promise<void> {
    await a.request('POST', path, body);
  }

  async function expectVictimFine(run: () => Promise<unknown>): Promise<void> {
    const stats = await victimLatency(victim, VICTIM_PATH, run);
    expect(stats.errors).toBe(0);
    expect(stats.p99).toBeLessThanOrEqual(100);
  }

  attack(
    'exhaustion',
    'CRD pattern ^(a+)+$ against 27 x a + ! (catastrophic backtracking) is linear',
    async () => {
      const g = 'redos1.sec.example.com';
      await defineCrd(g, { type: 'object', properties: { v: { type: 'string', pattern: '^(a+)+$' } } });
      await warm(`${things(g)}?dryRun=All`, thing(g, { v: 'a'.repeat(27) + '!' }));
      await expectVictimFine(async () => {
        for (const n of [27, 30, 100, 4_000]) {
          const body = await repeat(3, `${things(g)}?dryRun=All`, thing(g, { v: 'a'.repeat(n) + '!' }), 422);
          expect(text(body)).toContain("should match '^(a+)+$'");
        }
      });
    },
  );

  attack(
    'exhaustion',
    'CRD patterns with nested and counted quantifiers ((x+x+)+y, (.*a){20}) on 4 kB strings',
    async () => {
      const g = 'redos2.sec.example.com';
      await defineCrd(g, {
        type: 'object',
        properties: {
          x: { type: 'string', pattern: '^(x+x+)+y$' },
          d: { type: 'string', pattern: '^(.*a){20}$' },
          e: { type: 'string', pattern: '^([a-zA-Z0-9]+\\s?)*$' },
        },
      });
      await warm(
        `${things(g)}?dryRun=All`,
        thing(g, {
          x: 'x'.repeat(4_000),
          d: 'a'.repeat(19) + 'b'.repeat(4_000),
          e: 'ab '.repeat(1_300) + '!',
        }),
      );
      await expectVictimFine(async () => {
        const body = await repeat(
          ROUNDS,
          `${things(g)}?dryRun=All`,
          thing(g, {
            x: 'x'.repeat(4_000),
            d: 'a'.repeat(19) + 'b'.repeat(4_000),
            e: 'ab '.repeat(1_300) + '!',
          }),
          422,
        );
        expect(text(body)).toContain('should match');
      });
    },
  );

  attack(
    'exhaustion',
    'a CRD pattern with a backreference or lookaround is refused as Go refuses it',
    async () => {
      for (const [pattern, msg] of [
        ['(a)\\1', 'error parsing regexp: invalid escape sequence: `\\\\1`'],
        ['^(?=a)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
      ]) {
        const r = await a.request(
          'POST',
          `${CRDS}?dryRun=All`,
          crd('badre.sec.example.com', { type: 'object', properties: { v: { type: 'string', pattern } } }),
        );
        expect(r.status).toBe(422);
        expect(text(r.body)).toContain(msg);
      }
    },
  );

  attack('exhaustion', 'CEL matches() with a catastrophic regex on a CR field is linear', async () => {
    const g = 'celre.sec.example.com';
    await defineCrd(g, {
      type: 'object',
      properties: { s: { type: 'string', maxLength: 50_000 } },
      'x-kubernetes-validations': [{ rule: "self.s.matches('^(a+)+$')", message: 'no' }],
    });
    await warm(`${things(g)}?dryRun=All`, thing(g, { s: 'a'.repeat(27) + '!' }));
    await expectVictimFine(async () => {
      for (const n of [27, 30, 4_000]) {
        const body = await repeat(4, `${things(g)}?dryRun=All`, thing(g, { s: 'a'.repeat(n) + '!' }), 422);
        expect(text(body)).toContain('no');
      }
    });
  });

  attack('exhaustion', 'CEL find() and findAll() with hostile regexes on long strings', async () => {
    const g = 'celfind.sec.example.com';
    await defineCrd(g, {
      type: 'object',
      properties: { s: { type: 'string', maxLength: 8_000 } },
      'x-kubernetes-validations': [
        { rule: "self.s.find('(a|aa)+$') == '' && self.s.findAll('(a*)*b').size() == 0", message: 'found' },
      ],
    });
    await warm(`${things(g)}?dryRun=All`, thing(g, { s: 'a'.repeat(7_999) + 'c' }));
    await expectVictimFine(async () => {
      // Backtracking engines explode on both; RE2 finds no match in linear time, so the rule holds.
      await repeat(ROUNDS, `${things(g)}?dryRun=All`, thing(g, { s: 'a'.repeat(7_999) + 'c' }), 201);
      const body = await repeat(2, `${things(g)}?dryRun=All`, thing(g, { s: 'a'.repeat(7_999) + 'b' }), 422);
      expect(text(body)).toContain('found');
    });
  });

  attack(
    'exhaustion',
    'CRD write with a nested all() over an unbounded list is refused by its estimated cost',
    async () => {
      const spec = {
        type: 'object',
        properties: { l: { type: 'array', items: { type: 'integer' } } },
        'x-kubernetes-validations': [{ rule: 'self.l.all(x, self.l.all(y, self.l.all(z, x + y + z >= 0)))' }],
      };
      await expectVictimFine(async () => {
        const body = await repeat(ROUNDS, `${CRDS}?dryRun=All`, crd('nested.sec.example.com', spec), 422);
        expect(text(body)).toContain('estimated rule cost exceeds budget by factor of more than 100x');
      });
    },
  );

  attack(
    'exhaustion',
    'CRD write with 40 rules each just under the limit is refused by the CRD cost total',
    async () => {
      const spec = {
        type: 'object',
        properties: { l: { type: 'array', maxItems: 100, items: { type: 'integer' } } },
        'x-kubernetes-validations': range(40).map((i) => ({
          rule: `self.l.all(x, self.l.all(y, self.l.all(z, x + y + z >= ${i})))`,
        })),
      };
      await expectVictimFine(async () => {
        const body = await repeat(ROUNDS, `${CRDS}?dryRun=All`, crd('total.sec.example.com', spec), 422);
        expect(text(body)).toContain(
          'x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget',
        );
      });
    },
  );

  attack(
    'exhaustion',
    'CR write whose rule is just under the estimated limit but expensive at runtime (nested all over 100 items)',
    async () => {
      const g = 'runtime1.sec.example.com';
      await defineCrd(g, {
        type: 'object',
        properties: { l: { type: 'array', maxItems: 100, items: { type: 'integer' } } },
        'x-kubernetes-validations': range(10).map((i) => ({
          rule: `self.l.all(x, self.l.all(y, self.l.all(z, x + y + z >= ${i})))`,
        })),
      });
      await warm(`${things(g)}?dryRun=All`, thing(g, { l: range(100) }));
      await expectVictimFine(async () => {
        const body = await repeat(ROUNDS, `${things(g)}?dryRun=All`, thing(g, { l: range(100) }), 422);
        expect(text(body)).toContain('no further validation rules will be run');
      });
    },
  );

  attack(
    'exhaustion',
    'CR write with 40 list items, each with a rule within the apiserver budgets but seconds of work here',
    async () => {
      const g = 'runtime2.sec.example.com';
      await defineCrd(g, {
        type: 'object',
        properties: {
          m: {
            type: 'array',
            maxItems: 40,
            items: {
              type: 'array',
              maxItems: 20,
              items: { type: 'integer' },
              'x-kubernetes-validations': [{ rule: 'self.all(x, self.all(y, self.all(z, x + y + z >= 0)))' }],
            },
          },
        },
      });
      await warm(`${things(g)}?dryRun=All`, thing(g, { m: range(40).map(() => range(20)) }));
      await expectVictimFine(async () => {
        const body = await repeat(
          ROUNDS,
          `${things(g)}?dryRun=All`,
          thing(g, { m: range(40).map(() => range(20)) }),
          422,
        );
        expect(text(body)).toContain(
          'validation failed due to running out of cost budget, no further validation rules will be run',
        );
      });
    },
  );

  attack('exhaustion', 'CR write with an expensive messageExpression on a failing rule', async () => {
    const g = 'msgexpr.sec.example.com';
    await defineCrd(g, {
      type: 'object',
      properties: { l: { type: 'array', maxItems: 300, items: { type: 'string', maxLength: 8 } } },
      'x-kubernetes-validations': [
        {
          rule: 'size(self.l) < 1',
          messageExpression:
            "self.l.map(x, self.l.filter(y, y != x).size()).size() > 0 ? 'too many' : 'none'",
        },
      ],
    });
    await warm(`${things(g)}?dryRun=All`, thing(g, { l: range(300).map(String) }));
    await expectVictimFine(async () => {
      const body = await repeat(
        ROUNDS,
        `${things(g)}?dryRun=All`,
        thing(g, { l: range(300).map(String) }),
        422,
      );
      expect(text(body)).toMatch(/too many|running out of cost budget/);
    });
  });

  describe('admission policies', () => {
    const VAP = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies';
    const VAPB = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings';
    const CM = '/api/v1/namespaces/default/configmaps';
    const data = Object.fromEntries(range(200).map((i) => [`k${i}`, 'a'.repeat(30) + '!']));

    async function policy(name: string, spec: Schema): Promise<void> {
      const p = await a.request('POST', VAP, {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: {
            resourceRules: [
              { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] },
            ],
          },
          ...spec,
        },
      });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      const b = await a.request('POST', VAPB, {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name },
        spec: { policyName: name, validationActions: ['Deny'] },
      });
      expect(b.status, JSON.stringify(b.body)).toBe(201);
    }

    afterAll(async () => {
      for (const n of ['sec-nested', 'sec-regex', 'sec-cond']) {
        await a.request('DELETE', `${VAPB}/${n}`);
        await a.request('DELETE', `${VAP}/${n}`);
      }
    });

    attack('exhaustion', 'admission policy with a triple nested all() over 200 ConfigMap keys', async () => {
      try {
        await policy('sec-nested', {
          validations: [
            {
              expression:
                'object.data.all(x, object.data.all(y, object.data.all(z, x != y || y != z || x == z)))',
            },
          ],
        });
        await expectVictimFine(async () => {
          for (let i = 0; i < ROUNDS; i++) {
            const r = await a.request('POST', `${CM}?dryRun=All`, {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { generateName: 'cm-' },
              data,
            });
            expect(r.status, JSON.stringify(r.body)).toBeGreaterThanOrEqual(400);
            expect(text(r.body)).toMatch(/actual cost limit exceeded|running out of cost budget/);
          }
        });
      } finally {
        await a.request('DELETE', `${VAPB}/sec-nested`);
      }
    });

    attack(
      'exhaustion',
      'admission policy with a catastrophic regex over every ConfigMap value',
      async () => {
        try {
          await policy('sec-regex', {
            validations: [{ expression: "object.data.all(k, !object.data[k].matches('^(a+)+$'))" }],
          });
          await expectVictimFine(async () => {
            for (let i = 0; i < ROUNDS; i++) {
              const r = await a.request('POST', `${CM}?dryRun=All`, {
                apiVersion: 'v1',
                kind: 'ConfigMap',
                metadata: { generateName: 'cm-' },
                data,
              });
              // Every value ends in `!`, so no value matches and the policy admits.
              expect(r.status, JSON.stringify(r.body)).toBe(201);
            }
          });
        } finally {
          await a.request('DELETE', `${VAPB}/sec-regex`);
        }
      },
    );

    attack('exhaustion', 'admission policy whose matchConditions are the expensive part', async () => {
      try {
        await policy('sec-cond', {
          matchConditions: [
            {
              name: 'heavy',
              expression:
                'object.data.exists(x, object.data.exists(y, object.data.exists(z, x + y + z == "never")))',
            },
          ],
          validations: [{ expression: 'false' }],
        });
        await expectVictimFine(async () => {
          for (let i = 0; i < ROUNDS; i++) {
            const r = await a.request('POST', `${CM}?dryRun=All`, {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { generateName: 'cm-' },
              data,
            });
            expect(r.status, JSON.stringify(r.body)).toBeGreaterThanOrEqual(400);
          }
        });
      } finally {
        await a.request('DELETE', `${VAPB}/sec-cond`);
      }
    });
  });
});
