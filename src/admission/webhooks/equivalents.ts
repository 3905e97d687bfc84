// matchPolicy Equivalent's other versions of a resource, for the tenant's custom resources: the
// served versions of its CRD (conversion None: the same fields under each version). Built-in
// resources served in several versions are matched exactly only.
import type { AdmissionAttributes } from '../attributes.js';
import type { TenantStore } from '../../store/types.js';
import type { Equivalent } from './match.js';

interface CrdShape {
  spec?: { names?: { kind?: string }; versions?: { name?: string; served?: boolean }[] };
}

export function crdEquivalents(store: () => TenantStore): (a: AdmissionAttributes) => Equivalent[] {
  return (a) => {
    if (!a.resource.group.includes('.')) return [];
    const crd = store().get({
      group: 'apiextensions.k8s.io',
      resource: 'customresourcedefinitions',
      namespace: '',
      name: `${a.resource.resource}.${a.resource.group}`,
    })?.object as CrdShape | undefined;
    const kind = crd?.spec?.names?.kind ?? '';
    return (crd?.spec?.versions ?? [])
      .filter((v) => v.served && v.name)
      .map((v) => ({ version: v.name!, kind }));
  };
}
