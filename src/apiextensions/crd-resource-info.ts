// Turns a CRD into resource table rows: one per served version, living in the virtual store.
import type { PrinterColumn, ResourceInfo } from '../resources/types.js';
import type { CRDVersion, CustomResourceDefinition } from './crd-types.js';

export const CUSTOM_RESOURCE_STRATEGY = 'customresource';

/** ObjectMeta's swagger doc for creationTimestamp: the description of the implicit Age column. */
const CREATION_TIMESTAMP_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

const VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

/** The printer columns of a version; the apiserver adds Age when none are declared. */
export function crdPrinterColumns(v: CRDVersion): PrinterColumn[] {
  const cols = v.additionalPrinterColumns;
  if (!cols || cols.length === 0)
    return [
      {
        name: 'Age',
        type: 'date',
        jsonPath: '.metadata.creationTimestamp',
        description: CREATION_TIMESTAMP_DESCRIPTION,
      },
    ];
  return cols.map((c) => ({
    name: c.name,
    type: c.type,
    format: c.format,
    description: c.description,
    priority: c.priority ?? 0,
    jsonPath: c.jsonPath,
  }));
}

/** ResourceInfo rows for every served version of `crd` (served first by storage, then as listed). */
export function crdResourceInfos(crd: CustomResourceDefinition): ResourceInfo[] {
  const { group, names, scope, versions } = crd.spec;
  return versions
    .filter((v) => v.served)
    .map((v): ResourceInfo => ({
      group,
      version: v.name,
      resource: names.plural,
      kind: names.kind,
      listKind: names.listKind ?? `${names.kind}List`,
      singular: names.singular || names.kind.toLowerCase(),
      namespaced: scope === 'Namespaced',
      verbs: VERBS,
      shortNames: names.shortNames?.length ? names.shortNames : undefined,
      categories: names.categories?.length ? names.categories : undefined,
      placement: 'virtual',
      storageVersion: v.storage,
      subresources: v.subresources
        ? {
            status: v.subresources.status !== undefined ? true : undefined,
            scale: v.subresources.scale
              ? {
                  specReplicasPath: v.subresources.scale.specReplicasPath,
                  statusReplicasPath: v.subresources.scale.statusReplicasPath,
                  labelSelectorPath: v.subresources.scale.labelSelectorPath,
                }
              : undefined,
          }
        : undefined,
      printerColumns: crdPrinterColumns(v),
      strategy: CUSTOM_RESOURCE_STRATEGY,
    }));
}
