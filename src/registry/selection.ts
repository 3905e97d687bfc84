// Label and field selection over stored objects (storage.SelectionPredicate).
import type { KubeObject } from '../api/object.js';
import { type FieldSelector, matchesFields, parseFieldSelector } from '../api/field-selector.js';
import { type LabelSelector, matchesLabels, parseLabelSelector } from '../api/labels.js';
import { badRequest } from '../api/status.js';
import type { Strategy } from './strategy.js';

export interface Predicate {
  labels: LabelSelector;
  fields: FieldSelector;
  matches(obj: KubeObject): boolean;
  empty: boolean;
}

export function objectFields(
  obj: KubeObject,
  strategy: Strategy,
  namespaced: boolean,
): Record<string, string> {
  // metadata.namespace is selectable on every resource, as for custom resources (empty when cluster-scoped).
  void namespaced;
  return {
    ...strategy.selectableFields(obj),
    'metadata.name': obj.metadata?.name ?? '',
    'metadata.namespace': obj.metadata?.namespace ?? '',
  };
}

/**
 * Parses the selectors; a field the resource does not support is a 400 with the apiserver's
 * `field label not supported: <field>` (checked against a field set of an empty object).
 */
export function buildPredicate(
  labelSelector: string | undefined,
  fieldSelector: string | undefined,
  strategy: Strategy,
  namespaced: boolean,
  supportedFields: string[],
): Predicate {
  const labels = parseLabelSelector(labelSelector ?? '');
  const fields = parseFieldSelector(fieldSelector ?? '');
  const supported = new Set(['metadata.name', 'metadata.namespace', ...supportedFields]);
  for (const r of fields)
    if (!supported.has(r.field)) throw badRequest(`field label not supported: ${r.field}`);
  return {
    labels,
    fields,
    empty: labels.length === 0 && fields.length === 0,
    matches: (obj) =>
      matchesLabels(labels, obj.metadata?.labels) &&
      (fields.length === 0 || matchesFields(fields, objectFields(obj, strategy, namespaced))),
  };
}
