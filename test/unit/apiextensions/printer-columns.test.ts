import { describe, expect, it } from 'vitest';
import {
  customResourceStrategy,
  findResults,
  humanDuration,
  printerCells,
} from '../../../src/apiextensions/index.js';
import { ctx, widget, widgetCRD } from './helpers.js';

const obj = {
  spec: {
    replicas: 3,
    host: 'a.example.com',
    ratio: 0.5,
    on: true,
    labels: { 'app.kubernetes.io/name': 'x' },
  },
  status: {
    conditions: [
      { type: 'Synced', status: 'False' },
      { type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' },
    ],
  },
};

describe('printer columns', () => {
  it('evaluates the JSONPath subset', () => {
    expect(findResults(obj, '{.spec.replicas}')).toEqual([3]);
    expect(findResults(obj, '.status.conditions[?(@.type=="Ready")].status')).toEqual(['True']);
    expect(findResults(obj, '.status.conditions[*].type')).toEqual(['Synced', 'Ready']);
    expect(findResults(obj, ".spec.labels['app.kubernetes.io/name']")).toEqual(['x']);
    expect(findResults(obj, '.status.conditions[-1].type')).toEqual(['Ready']);
  });

  it('formats cells by column type as the TableConvertor does', () => {
    const now = Date.parse('2024-01-01T00:05:00Z');
    const cells = printerCells(
      [
        { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
        { name: 'Host', type: 'string', jsonPath: '.spec.host' },
        { name: 'Ratio', type: 'number', jsonPath: '.spec.ratio' },
        { name: 'On', type: 'boolean', jsonPath: '.spec.on' },
        { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
        {
          name: 'Since',
          type: 'date',
          jsonPath: '.status.conditions[?(@.type=="Ready")].lastTransitionTime',
        },
        { name: 'Missing', type: 'string', jsonPath: '.spec.nope' },
        { name: 'Wrong', type: 'integer', jsonPath: '.spec.host' },
        { name: 'Replicas as string', type: 'string', jsonPath: '.spec.replicas' },
      ],
      obj,
      now,
    );
    expect(cells).toEqual([3, 'a.example.com', 0.5, true, 'True', '5m', null, null, '3']);
  });

  it('prints durations as HumanDuration', () => {
    expect([
      humanDuration(30_000),
      humanDuration(150_000),
      humanDuration(3 * 3600_000 + 60_000),
      humanDuration(50 * 3600_000),
      humanDuration(400 * 86400_000),
    ]).toEqual(['30s', '2m30s', '3h1m', '2d2h', '400d']);
  });

  it('exposes CRD columns (Age only when none are declared) and selectable fields through the strategy', () => {
    const crd = widgetCRD(
      { type: 'object', properties: { spec: { type: 'object', properties: { color: { type: 'string' } } } } },
      {
        additionalPrinterColumns: [{ name: 'Color', type: 'string', jsonPath: '.spec.color' }],
        selectableFields: [{ jsonPath: '.spec.color' }],
      },
    );
    const s = customResourceStrategy(crd, 'v1');
    expect(s.printerColumns().map((c) => c.name)).toEqual(['Color']);
    expect(s.selectableFields(widget({ color: 'red' }) as never)).toEqual({ 'spec.color': 'red' });
    // No declared columns: the apiserver shows Name and Age.
    expect(
      customResourceStrategy(widgetCRD({ type: 'object' }), 'v1')
        .printerColumns()
        .map((c) => c.name),
    ).toEqual(['Age']);
    void ctx;
  });
});
