import { invalid, type FieldError } from '../../../src/api/status.js';
import type { CustomResourceDefinition } from '../../../src/apiextensions/index.js';
import type { StrategyContext } from '../../../src/registry/strategy.js';

export const causes = (errs: FieldError[]) =>
  invalid({ group: 'stable.example.com', kind: 'Widget' }, 'w', errs).status.details!.causes;

export const ctx = (subresource?: string): StrategyContext => ({
  tenant: 't',
  user: { username: 'u', groups: [] },
  resource: {} as StrategyContext['resource'],
  subresource,
  fieldValidation: 'Strict',
  warnings: [],
});

export function widgetCRD(
  schema: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.stable.example.com' },
    spec: {
      group: 'stable.example.com',
      names: {
        plural: 'widgets',
        singular: 'widget',
        kind: 'Widget',
        listKind: 'WidgetList',
        shortNames: ['wd'],
      },
      scope: 'Namespaced',
      versions: [
        { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema as never }, ...extra },
      ],
    },
  };
}

export const widget = (spec: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'stable.example.com/v1',
  kind: 'Widget',
  metadata: { name: 'w', namespace: 'default' },
  spec,
  ...extra,
});
