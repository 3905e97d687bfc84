import { describe, expect, it } from 'vitest';
import { customResourceStrategy } from '../../../src/apiextensions/index.js';
import { invalid } from '../../../src/api/status.js';
import { causes, ctx, widget, widgetCRD } from './helpers.js';

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['size'],
      properties: {
        size: { type: 'integer', minimum: 1, maximum: 10 },
        name: { type: 'string', maxLength: 5, pattern: '^[a-z]+$' },
        short: { type: 'string', minLength: 3 },
        color: { type: 'string', enum: ['red', 'blue'] },
        ratio: { type: 'number', exclusiveMaximum: true, maximum: 1 },
        when: { type: 'string', format: 'date-time' },
        tags: {
          type: 'array',
          items: { type: 'string' },
          maxItems: 2,
          minItems: 1,
          'x-kubernetes-list-type': 'set',
        },
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['port'],
          items: {
            type: 'object',
            required: ['port'],
            properties: { port: { type: 'integer' }, name: { type: 'string' } },
          },
        },
        labels: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 2 },
        port: { 'x-kubernetes-int-or-string': true },
        opt: { type: 'string', nullable: true },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          'x-kubernetes-preserve-unknown-fields': true,
        },
      },
    },
  },
};
const s = customResourceStrategy(widgetCRD(schema), 'v1');
const validate = (spec: unknown) => causes(s.validateCreate(widget(spec) as never, ctx()));

describe('custom resource schema validation', () => {
  it('accepts a valid object', () => {
    expect(
      s.validateCreate(
        widget({ size: 3, name: 'abc', port: 'http', opt: null, when: '2024-01-02T03:04:05Z' }) as never,
        ctx(),
      ),
    ).toEqual([]);
  });

  it('reports type errors as FieldValueTypeInvalid with the kube-openapi message', () => {
    expect(validate({ size: 'three' })).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.size',
        message: 'Invalid value: "string": spec.size in body must be of type integer: "string"',
      },
    ]);
    expect(validate({ size: 1, port: true })).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.port',
        message: 'Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
      },
    ]);
  });

  it('reports required, range, length and pattern errors', () => {
    expect(validate({ name: 'ABCDEFG' })).toEqual([
      { reason: 'FieldValueTooLong', field: 'spec.name', message: 'Too long: may not be more than 5 bytes' },
      { reason: 'FieldValueRequired', field: 'spec.size', message: 'Required value' },
    ]);
    expect(validate({ size: 11, name: 'A1', short: 'ab', ratio: 1 })).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.size',
        message: 'Invalid value: 11: spec.size in body should be less than or equal to 10',
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.name',
        message: `Invalid value: "A1": spec.name in body should match '^[a-z]+$'`,
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.short',
        message: 'Invalid value: "ab": spec.short in body should be at least 3 chars long',
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.ratio',
        message: 'Invalid value: 1: spec.ratio in body should be less than 1',
      },
    ]);
  });

  it('reports enum, format, items and properties limits', () => {
    expect(
      validate({
        size: 1,
        color: 'green',
        when: 'yesterday',
        tags: ['a', 'b', 'c'],
        labels: { a: 'x', b: 'y', c: 'z' },
      }),
    ).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.color',
        message: 'Unsupported value: "green": supported values: "red", "blue"',
      },
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.when',
        message: 'Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
      },
      { reason: 'FieldValueTooMany', field: 'spec.tags', message: 'Too many: 3: must have at most 2 items' },
      {
        reason: 'FieldValueTooMany',
        field: 'spec.labels',
        message: 'Too many: 3: must have at most 2 items',
      },
    ]);
    expect(validate({ size: 1, tags: [] })).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.tags',
        message: 'Invalid value: 0: spec.tags in body should have at least 1 items',
      },
    ]);
  });

  it('rejects null for non-nullable fields and accepts it for nullable ones', () => {
    expect(validate({ size: 1, name: null, opt: null })).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.name',
        message: 'Invalid value: "null": spec.name in body must be of type string: "null"',
      },
    ]);
  });

  it('reports list-type set and map duplicates as the apiserver does', () => {
    expect(validate({ size: 1, tags: ['a', 'a'] })).toEqual([
      { reason: 'FieldValueDuplicate', field: 'spec.tags[1]', message: 'Duplicate value: "a"' },
    ]);
    expect(validate({ size: 1, ports: [{ port: 80 }, { port: 80, name: 'x' }] })).toEqual([
      {
        reason: 'FieldValueDuplicate',
        field: 'spec.ports[1]',
        message: 'Duplicate value: map[string]interface {}{"port":80}',
      },
    ]);
  });

  it('checks embedded resources', () => {
    expect(validate({ size: 1, template: { metadata: { name: 'Bad_Name' } } })).toEqual([
      {
        reason: 'FieldValueRequired',
        field: 'spec.template.apiVersion',
        message: 'Required value: must not be empty',
      },
      {
        reason: 'FieldValueRequired',
        field: 'spec.template.kind',
        message: 'Required value: must not be empty',
      },
    ]);
    expect(
      validate({ size: 1, template: { apiVersion: 'a/b/c', kind: 'my_kind', metadata: { name: 'a/b' } } }),
    ).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.template.apiVersion',
        message: 'Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.template.kind',
        message: `Invalid value: "my_kind": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.template.metadata.name',
        message: `Invalid value: "a/b": may not contain '/'`,
      },
    ]);
  });

  it('validates metadata and type meta', () => {
    const errs = s.validateCreate(
      {
        ...widget({ size: 1 }),
        metadata: { name: 'Bad_Name', namespace: 'default', labels: { 'a b': 'x' } },
      } as never,
      ctx(),
    );
    const st = invalid({ group: 'stable.example.com', kind: 'Widget' }, 'Bad_Name', errs).status;
    expect(st.code).toBe(422);
    expect(st.reason).toBe('Invalid');
    expect(st.details!.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      },
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.labels',
        message: `Invalid value: "a b": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      },
    ]);
    expect(causes(s.validateCreate({ ...widget({ size: 1 }), kind: 'Gadget' } as never, ctx()))).toEqual([
      { reason: 'FieldValueInvalid', field: 'kind', message: 'Invalid value: "Gadget": must be Widget' },
    ]);
  });

  it('ratchets unchanged invalid values on update', () => {
    const old = {
      ...widget({ size: 50 }),
      metadata: { name: 'w', namespace: 'default', resourceVersion: '1' },
    };
    const upd = {
      ...widget({ size: 50, name: 'ok' }),
      metadata: { name: 'w', namespace: 'default', resourceVersion: '1' },
    };
    expect(s.validateUpdate(upd as never, old as never, ctx())).toEqual([]);
    const worse = { ...upd, spec: { size: 60 } };
    expect(causes(s.validateUpdate(worse as never, old as never, ctx()))).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.size',
        message: 'Invalid value: 60: spec.size in body should be less than or equal to 10',
      },
    ]);
  });
});
