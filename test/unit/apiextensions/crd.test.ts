import { describe, expect, it } from 'vitest';
import {
  crdResourceInfos,
  crdStrategy,
  validateCustomResourceDefinition,
  type CustomResourceDefinition,
} from '../../../src/apiextensions/index.js';
import { causes, ctx, widgetCRD } from './helpers.js';

const schema = {
  type: 'object',
  properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
};

describe('CRD validation', () => {
  it('accepts a well-formed CRD', () => {
    expect(validateCustomResourceDefinition(widgetCRD(schema))).toEqual([]);
  });

  it('requires the name to be plural.group and a dotted group', () => {
    const crd = widgetCRD(schema);
    crd.metadata!.name = 'widget.example';
    crd.spec.group = 'example';
    expect(causes(validateCustomResourceDefinition(crd))).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: 'Invalid value: "widget.example": must be spec.names.plural+"."+spec.group',
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.group',
        message: 'Invalid value: "example": should be a domain with at least one dot',
      },
    ]);
  });

  it('checks names, scope and listKind', () => {
    const crd = widgetCRD(schema);
    crd.spec.scope = 'Global' as never;
    crd.spec.names.listKind = 'Widget';
    crd.spec.names.shortNames = ['W D'];
    expect(causes(validateCustomResourceDefinition(crd))).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.scope',
        message: 'Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.names.shortNames[0]',
        message: `Invalid value: "W D": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.names.listKind',
        message: 'Invalid value: "Widget": kind and listKind may not be the same',
      },
    ]);
  });

  it('requires structural schemas, reported at the hoisted spec.validation path', () => {
    const crd = widgetCRD({ type: 'object', properties: { spec: { properties: { x: { type: 'array' } } } } });
    expect(causes(validateCustomResourceDefinition(crd))).toEqual([
      {
        reason: 'FieldValueRequired',
        field: 'spec.validation.openAPIV3Schema.properties[spec].type',
        message: 'Required value: must not be empty for specified object fields',
      },
      {
        reason: 'FieldValueRequired',
        field: 'spec.validation.openAPIV3Schema.properties[spec].properties[x].items',
        message: 'Required value: must be specified',
      },
    ]);
  });

  it('requires schemas and exactly one storage version', () => {
    const crd = widgetCRD(schema);
    crd.spec.versions = [
      { name: 'v1', served: true, storage: false },
      { name: 'v2', served: true, storage: false, schema: { openAPIV3Schema: schema as never } },
    ];
    const fields = causes(validateCustomResourceDefinition(crd))!.map((c) => [c.field, c.reason]);
    expect(fields).toEqual([
      ['spec.versions[0].schema.openAPIV3Schema', 'FieldValueRequired'],
      ['spec.versions', 'FieldValueInvalid'],
    ]);
  });

  it('rejects rules that do not compile', () => {
    const crd = widgetCRD({ type: 'object', 'x-kubernetes-validations': [{ rule: 'self.a ==' }] });
    const c = causes(validateCustomResourceDefinition(crd))!;
    expect(c).toHaveLength(1);
    expect(c[0]!.field).toBe('spec.validation.openAPIV3Schema.x-kubernetes-validations[0].rule');
    expect(c[0]!.message).toMatch(/^Invalid value: "self.a ==": compilation failed: /);
  });
});

describe('CRD strategy and resource rows', () => {
  it('defaults names, records the stored version and establishes the CRD at once', () => {
    const crd = widgetCRD(schema) as CustomResourceDefinition;
    delete crd.spec.names.singular;
    delete crd.spec.names.listKind;
    crd.status = { storedVersions: ['bogus'] };
    crdStrategy.prepareForCreate(crd as never, ctx());
    expect(crd.spec.names.singular).toBe('widget');
    expect(crd.spec.names.listKind).toBe('WidgetList');
    expect(crd.status!.storedVersions).toEqual(['v1']);
    expect(crd.status!.acceptedNames).toEqual({
      plural: 'widgets',
      singular: 'widget',
      kind: 'Widget',
      listKind: 'WidgetList',
      shortNames: ['wd'],
    });
    expect(crd.status!.conditions!.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['NamesAccepted', 'True', 'NoConflicts'],
      ['Established', 'True', 'InitialNamesAccepted'],
    ]);
  });

  it('keeps stored versions across a storage version change', () => {
    const old = widgetCRD(schema);
    crdStrategy.prepareForCreate(old as never, ctx());
    const upd = structuredClone(old);
    upd.spec.versions = [
      { ...old.spec.versions[0]!, storage: false },
      { ...old.spec.versions[0]!, name: 'v2', storage: true },
    ];
    crdStrategy.prepareForUpdate(upd as never, old as never, ctx());
    expect(upd.status!.storedVersions).toEqual(['v1', 'v2']);
  });

  it('turns served versions into virtual resource rows with columns and subresources', () => {
    const crd = widgetCRD(schema, {
      subresources: {
        status: {},
        scale: { specReplicasPath: '.spec.size', statusReplicasPath: '.status.size' },
      },
      additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
    });
    crd.spec.versions.push({
      name: 'v0',
      served: false,
      storage: false,
      schema: { openAPIV3Schema: schema as never },
    });
    crd.spec.names.categories = ['all'];
    const rows = crdResourceInfos(crd);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      group: 'stable.example.com',
      version: 'v1',
      resource: 'widgets',
      kind: 'Widget',
      listKind: 'WidgetList',
      singular: 'widget',
      namespaced: true,
      shortNames: ['wd'],
      categories: ['all'],
      placement: 'virtual',
      storageVersion: true,
      subresources: {
        status: true,
        scale: { specReplicasPath: '.spec.size', statusReplicasPath: '.status.size' },
      },
      printerColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size', priority: 0 }],
      strategy: 'customresource',
    });
    expect(crdResourceInfos(widgetCRD(schema))[0]!.printerColumns).toMatchObject([
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ]);
  });
});
