import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  customResourceStrategy,
  validateCustomResourceDefinition,
  type CustomResourceDefinition,
} from '../../../src/apiextensions/index.js';
import { causes, ctx, widget, widgetCRD } from './helpers.js';

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': [
        { rule: 'self.min <= self.max', message: 'min must not exceed max' },
        { rule: 'self.name.startsWith("w")' },
        {
          rule: 'self.replicas >= 0',
          messageExpression: '"replicas is " + string(self.replicas)',
          fieldPath: '.replicas',
        },
        { rule: '!has(self.forbidden)', message: 'forbidden is forbidden', reason: 'FieldValueForbidden' },
        { rule: 'self.name == oldSelf.name', message: 'name is immutable' },
        {
          rule: 'self.tags.all(t, t.lowerAscii() == t) && self.tags.isSorted()',
          message: 'tags must be sorted lower case',
        },
      ],
      properties: {
        min: { type: 'integer' },
        max: { type: 'integer' },
        name: { type: 'string' },
        replicas: { type: 'integer' },
        forbidden: { type: 'string' },
        tags: { type: 'array', items: { type: 'string' }, default: [] },
      },
    },
  },
};
const s = customResourceStrategy(widgetCRD(schema), 'v1');
const ok = { min: 1, max: 2, name: 'w1', replicas: 1, tags: ['a', 'b'] };

describe('CEL validation rules', () => {
  it('passes valid objects', () => {
    expect(s.validateCreate(widget(ok) as never, ctx())).toEqual([]);
  });

  it('reports failed rules with message, default message, messageExpression, fieldPath and reason', () => {
    const errs = s.validateCreate(
      widget({ min: 3, max: 2, name: 'x', replicas: -1, forbidden: 'y', tags: ['b', 'A'] }) as never,
      ctx(),
    );
    expect(causes(errs)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec',
        message: 'Invalid value: "object": min must not exceed max',
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec',
        message: 'Invalid value: "object": failed rule: self.name.startsWith("w")',
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.replicas',
        message: 'Invalid value: "object": replicas is -1',
      },
      { reason: 'FieldValueForbidden', field: 'spec', message: 'Forbidden: forbidden is forbidden' },
      {
        reason: 'FieldValueInvalid',
        field: 'spec',
        message: 'Invalid value: "object": tags must be sorted lower case',
      },
    ]);
  });

  it('evaluates transition rules only on update', () => {
    const meta = { name: 'w', namespace: 'default', resourceVersion: '1' };
    const old = { ...widget(ok), metadata: meta };
    const upd = { ...widget({ ...ok, name: 'w2' }), metadata: meta };
    expect(causes(s.validateUpdate(upd as never, old as never, ctx()))).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: "object": name is immutable' },
    ]);
  });

  it('reports runtime errors as the apiserver does', () => {
    const errs = s.validateCreate(widget({ max: 2, name: 'w', replicas: 1, tags: [] }) as never, ctx());
    expect(causes(errs)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec',
        message: 'Invalid value: "object": no such key: min evaluating rule: min must not exceed max',
      },
    ]);
  });

  it('skips rules when the schema already rejected the object', () => {
    const errs = s.validateCreate(
      widget({ min: 'x', max: 2, name: 'w', replicas: 1, tags: [] }) as never,
      ctx(),
    );
    expect(causes(errs)).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.min',
        message: 'Invalid value: "string": spec.min in body must be of type integer: "string"',
      },
      {
        reason: 'FieldValueInvalid',
        field: '<nil>',
        message:
          'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      },
    ]);
  });
});

describe('Gateway API CRDs (real-world schemas with CEL)', () => {
  const load = (n: string) =>
    JSON.parse(
      readFileSync(
        new URL(`../../fixtures/crds/${n}.gateway.networking.k8s.io.json`, import.meta.url),
        'utf8',
      ),
    ) as CustomResourceDefinition;
  const gw = load('gateways');

  it('are valid CRDs', () => {
    expect(validateCustomResourceDefinition(gw)).toEqual([]);
    expect(validateCustomResourceDefinition(load('httproutes'))).toEqual([]);
  });

  it('validate Gateways with their CEL rules', () => {
    const st = customResourceStrategy(gw, 'v1');
    const gateway = (listeners: unknown[]) => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'g', namespace: 'default' },
      spec: { gatewayClassName: 'c', listeners },
    });
    expect(
      st.validateCreate(gateway([{ name: 'http', port: 80, protocol: 'HTTP' }]) as never, ctx()),
    ).toEqual([]);
    const bad = causes(
      st.validateCreate(
        gateway([{ name: 'http', port: 80, protocol: 'HTTP', tls: { mode: 'Terminate' } }]) as never,
        ctx(),
      ),
    );
    expect(bad?.[0]).toEqual({
      reason: 'FieldValueInvalid',
      field: 'spec.listeners',
      message: `Invalid value: "array": tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']`,
    });
  });
});

describe('CEL ratcheting', () => {
  it('turns failures on unchanged values into warnings', () => {
    const crd = widgetCRD({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            a: {
              type: 'string',
              'x-kubernetes-validations': [{ rule: 'self.size() < 3', message: 'too long' }],
            },
            b: { type: 'string' },
          },
        },
      },
    });
    const st = customResourceStrategy(crd, 'v1');
    const meta = { name: 'w', namespace: 'default', resourceVersion: '1' };
    const old = { ...widget({ a: 'long' }), metadata: meta };
    const c = ctx();
    expect(
      st.validateUpdate({ ...widget({ a: 'long', b: 'x' }), metadata: meta } as never, old as never, c),
    ).toEqual([]);
    expect(c.warnings).toEqual(['spec.a: Invalid value: "string": too long']);
    expect(
      causes(st.validateUpdate({ ...widget({ a: 'longer' }), metadata: meta } as never, old as never, ctx())),
    ).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.a', message: 'Invalid value: "string": too long' },
    ]);
  });
});
