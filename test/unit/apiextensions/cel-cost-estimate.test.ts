import { describe, expect, it } from 'vitest';
import { estimateCost } from '../../../src/apiextensions/cel/cost-estimate.js';
import { validateCelCost } from '../../../src/apiextensions/cel/crd-cost.js';
import { schemaDecl } from '../../../src/apiextensions/cel/decl-type.js';
import type { JSONSchemaProps } from '../../../src/apiextensions/schema-types.js';

const NESTED3 = 'self.l.all(x, self.l.all(y, self.l.all(z, x + y + z >= 0)))';
const root = (props: Record<string, JSONSchemaProps>, rules: string[] = []): JSONSchemaProps => ({
  type: 'object',
  properties: props,
  'x-kubernetes-validations': rules.map((rule) => ({ rule })),
});

describe('CEL cost estimation', () => {
  it('matches the host for a triple nested all() (12 of them cost 1.087272x the CRD limit there)', () => {
    const decl = schemaDecl(root({ l: { type: 'array', maxItems: 100, items: { type: 'integer' } } }), false);
    expect(((estimateCost(`${NESTED3} || 0 > 0`, decl) * 12) / 100_000_000).toFixed(6)).toBe('1.087272');
  });

  it('refuses unbounded nested comprehensions with the apiserver message', () => {
    const errs = validateCelCost(
      root({ l: { type: 'array', items: { type: 'integer' } } }, [NESTED3]),
      'spec.validation.openAPIV3Schema',
    );
    expect(errs.map((e) => `${e.field}: ${e.detail}`)).toContain(
      'spec.validation.openAPIV3Schema.x-kubernetes-validations[0].rule: estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)',
    );
  });

  it('multiplies a rule on list items by the unbounded cardinality', () => {
    const s = root({
      l: {
        type: 'array',
        items: { type: 'string', 'x-kubernetes-validations': [{ rule: "self.matches('^[a-z]+$')" }] },
      },
    });
    expect(
      validateCelCost(s, 'x').some(
        (e) => e.field === 'x.properties[l].items.x-kubernetes-validations[0].rule',
      ),
    ).toBe(true);
    const bounded = root({
      l: {
        type: 'array',
        maxItems: 10,
        items: {
          type: 'string',
          maxLength: 64,
          'x-kubernetes-validations': [{ rule: "self.matches('^[a-z]+$')" }],
        },
      },
    });
    expect(validateCelCost(bounded, 'x')).toEqual([]);
  });

  it('skips the per-expression limit for an unchanged schema, not the CRD total', () => {
    const s = root({ l: { type: 'array', maxItems: 110, items: { type: 'integer' } } }, [NESTED3]);
    expect(validateCelCost(s, 'x')).toHaveLength(1);
    expect(validateCelCost(s, 'x', true)).toEqual([]);
  });
});
