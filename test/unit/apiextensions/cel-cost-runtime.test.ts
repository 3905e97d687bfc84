import { describe, expect, it } from 'vitest';
import { compileProgram, PER_CALL_LIMIT } from '../../../src/apiextensions/cel/runtime.js';

const list = (n: number) => Array.from({ length: n }, (_, i) => BigInt(i));

describe('CEL runtime cost', () => {
  it('charges as cel-go does for simple expressions', () => {
    const self = new Map<string, unknown>([
      ['a', 1n],
      ['s', 'hello'],
    ]);
    expect(compileProgram('self.a > 0').eval({ self }).cost).toBe(3);
    expect(compileProgram('self.s.startsWith("he")').eval({ self }).cost).toBe(3);
    expect(compileProgram('[1, 2, 3].all(x, x > 0)').eval({}).cost).toBeGreaterThan(10);
  });

  it('cancels a nested comprehension at the per-call limit', () => {
    const self = new Map<string, unknown>([['l', list(200)]]);
    const p = compileProgram('self.l.all(x, self.l.all(y, self.l.all(z, true)))');
    const r = p.eval({ self }, PER_CALL_LIMIT, Infinity);
    expect(r.exceeded).toBe(true);
    expect(r.cost).toBeGreaterThan(PER_CALL_LIMIT);
    expect((r.value as unknown as Error).message).toBe('operation cancelled: actual cost limit exceeded');
  });

  it("stops at kplex's time budget long before the per-call limit would take", () => {
    const self = new Map<string, unknown>([['l', list(200)]]);
    const r = compileProgram('self.l.all(x, self.l.all(y, self.l.all(z, true)))').eval({ self });
    expect(r.outOfTime).toBe(true);
    expect(r.cost).toBeLessThan(PER_CALL_LIMIT);
  });

  it('uses RE2 for matches, find and findAll', () => {
    const s = 'a'.repeat(27) + '!';
    const self = new Map<string, unknown>([['s', s]]);
    expect(compileProgram("self.s.matches('^(a+)+$')").eval({ self }).value).toBe(false);
    expect(compileProgram("'Abort'.matches('^(?i)(abort|warn)?$')").eval({}).value).toBe(true);
    expect(compileProgram("'abc123def'.find('[0-9]+')").eval({}).value).toBe('123');
    const all = compileProgram("'a1b22c333'.findAll('[0-9]+')").eval({}).value as Iterable<string>;
    expect([...all]).toEqual(['1', '22', '333']);
    const bad = compileProgram("'x'.matches('(a)\\\\1')").eval({}).value as unknown as Error;
    expect(bad.message).toContain('error parsing regexp: invalid escape sequence');
  });
});

describe('CEL budgets on realistic objects', () => {
  it('validate a Gateway with 16 listeners (pairwise listener rules) within every budget', async () => {
    const { readFileSync } = await import('node:fs');
    const { validateCelRules } = await import('../../../src/apiextensions/cel/rule-validation.js');
    const gw = JSON.parse(
      readFileSync(
        new URL('../../fixtures/crds/gateways.gateway.networking.k8s.io.json', import.meta.url),
        'utf8',
      ),
    );
    const schema = gw.spec.versions.find((v: { name: string }) => v.name === 'v1').schema.openAPIV3Schema;
    const listeners = Array.from({ length: 16 }, (_, i) => ({
      name: `l${i}`,
      port: 1000 + i,
      protocol: 'HTTP',
      hostname: `h${i}.example.com`,
    }));
    const obj = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'g', namespace: 'default' },
      spec: { gatewayClassName: 'x', listeners },
    };
    expect(validateCelRules(schema, obj)).toEqual([]);
  });
});
