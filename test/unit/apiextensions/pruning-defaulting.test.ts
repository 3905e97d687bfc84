import { describe, expect, it } from 'vitest';
import {
  applyDefaults,
  customResourceStrategy,
  hasDefaults,
  defaultCustomResource,
  pruneObject,
  strictDecodingError,
  unknownFieldWarnings,
} from '../../../src/apiextensions/index.js';
import { ctx, widget, widgetCRD } from './helpers.js';

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        replicas: { type: 'integer', default: 1 },
        mode: { type: 'string', default: 'auto' },
        opt: { type: 'string', nullable: true, default: 'x' },
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: { name: { type: 'string' }, weight: { type: 'integer', default: 10 } },
          },
        },
        env: {
          type: 'object',
          additionalProperties: { type: 'object', properties: { value: { type: 'string', default: 'v' } } },
        },
        free: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { typed: { type: 'object', properties: { a: { type: 'string' } } } },
        },
      },
    },
    status: { type: 'object', properties: { ready: { type: 'boolean' } } },
  },
};

describe('pruning', () => {
  it('removes unknown fields and reports sorted paths, keeping apiVersion/kind/metadata', () => {
    const obj = widget(
      {
        replicas: 2,
        foo: 1,
        items: [{ name: 'a', bar: true }],
        free: { anything: 1, typed: { a: 'x', b: 'y' } },
      },
      { extra: 1 },
    );
    const removed = pruneObject(obj, schema as never);
    expect(removed).toEqual(['extra', 'spec.foo', 'spec.free.typed.b', 'spec.items[0].bar']);
    expect(obj).toEqual(
      widget({ replicas: 2, items: [{ name: 'a' }], free: { anything: 1, typed: { a: 'x' } } }),
    );
  });

  it('builds the strict decoding error and Warn warnings', () => {
    const err = strictDecodingError(['spec.foo', 'spec.items[0].bar']);
    expect(err.status.code).toBe(400);
    expect(err.status.reason).toBe('BadRequest');
    expect(err.status.message).toBe(
      'strict decoding error: unknown field "spec.foo", unknown field "spec.items[0].bar"',
    );
    expect(unknownFieldWarnings(['spec.foo'])).toEqual(['unknown field "spec.foo"']);
  });

  it('is what the strategy does', () => {
    const s = customResourceStrategy(widgetCRD(schema), 'v1');
    const obj = widget({ nope: 1 });
    expect(s.pruneUnknownFields(obj as never, ctx())).toEqual(['spec.nope']);
  });
});

describe('defaulting', () => {
  it('fills absent fields, items and additionalProperties, and nulls of non-nullable fields', () => {
    const obj = widget({ mode: null, opt: null, items: [{ name: 'a' }], env: { A: {} } });
    applyDefaults(obj, schema as never);
    expect(obj.spec).toEqual({
      replicas: 1,
      mode: 'auto',
      opt: null,
      items: [{ name: 'a', weight: 10 }],
      env: { A: { value: 'v' } },
    });
  });

  it('drops nulls of non-nullable fields without defaults first', () => {
    const crd = widgetCRD(schema);
    const obj = widget({ items: null, opt: null });
    defaultCustomResource(obj as never, crd, 'v1');
    expect(obj.spec).toEqual({ replicas: 1, mode: 'auto', opt: null });
  });
});

describe('status subresource', () => {
  const s = customResourceStrategy(widgetCRD(schema, { subresources: { status: {} } }), 'v1');
  it('ignores status on create and main-resource updates', () => {
    const obj = widget({ replicas: 1 }, { status: { ready: true } });
    s.prepareForCreate(obj as never, ctx());
    expect('status' in obj).toBe(false);
    const old = widget({ replicas: 1 }, { status: { ready: false } });
    const upd = widget({ replicas: 2 }, { status: { ready: true } });
    s.prepareForUpdate(upd as never, old as never, ctx());
    expect((upd as Record<string, unknown>).status).toEqual({ ready: false });
    expect(upd.spec).toEqual({ replicas: 2 });
  });
  it('ignores spec and metadata changes on status updates', () => {
    const old = {
      ...widget({ replicas: 1 }, { status: { ready: false } }),
      metadata: { name: 'w', namespace: 'default', labels: { a: '1' } },
    };
    const upd = {
      ...widget({ replicas: 5 }, { status: { ready: true } }),
      metadata: { name: 'w', namespace: 'default', labels: { a: '2' } },
    };
    s.prepareForUpdate(upd as never, old as never, ctx('status'));
    expect(upd).toEqual({ ...old, status: { ready: true } });
  });
  it('validates only the status on status updates, under status.', () => {
    const meta = { name: 'w', namespace: 'default', resourceVersion: '1' };
    const old = { ...widget({}), metadata: meta };
    const upd = { ...widget({}, { status: { ready: 'yes' } }), metadata: meta };
    const errs = s.validateUpdate(upd as never, old as never, ctx('status'));
    expect(errs.map((e) => [e.type, e.field, e.detail])).toEqual([
      ['FieldValueTypeInvalid', 'status.ready', '"string": ready in body must be of type boolean: "string"'],
    ]);
  });
});

describe('whether defaults can apply (objects are listed as stored when none can)', () => {
  it('finds defaults in properties, array items and additionalProperties at any depth', () => {
    expect(hasDefaults(schema as never)).toBe(true);
    expect(hasDefaults(undefined)).toBe(false);
    expect(
      hasDefaults({
        type: 'object',
        properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } },
      } as never),
    ).toBe(false);
    const deep = (leaf: object) => ({ type: 'object', properties: { spec: { type: 'array', items: leaf } } });
    expect(
      hasDefaults(deep({ type: 'object', properties: { x: { type: 'integer', default: 0 } } }) as never),
    ).toBe(true);
    expect(
      hasDefaults(deep({ type: 'object', additionalProperties: { type: 'string', default: '' } }) as never),
    ).toBe(true);
    expect(customResourceStrategy(widgetCRD(schema), 'v1').defaultsApply).toBe(true);
  });
});
