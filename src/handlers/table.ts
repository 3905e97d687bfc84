// meta.k8s.io/v1 Table and PartialObjectMetadata(List) renderings of virtual objects: the
// default convertor's Name / Created At columns, or Name plus the strategy's printer columns
// (evaluated as the apiserver's CRD table convertor does: apiextensions/printer-columns.ts).
import type { KubeList, KubeObject } from '../api/object.js';
import { printerCells } from '../apiextensions/printer-columns.js';
import type { PrinterColumn } from '../resources/types.js';

const nameDescription =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const createdAtDescription =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function partialMetadata(obj: KubeObject): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
}

export function partialMetadataList(list: KubeList): KubeObject {
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion: 'meta.k8s.io/v1',
    metadata: list.metadata,
    items: list.items.map(partialMetadata),
  };
}

export function toTable(
  objects: KubeObject[],
  listMeta: KubeList['metadata'] | undefined,
  columns: PrinterColumn[],
  include: IncludeObject,
  withColumnDefinitions = true,
  now = new Date(),
): KubeObject {
  const custom = columns.length > 0;
  const defs = [
    { name: 'Name', type: 'string', format: 'name', description: nameDescription, priority: 0 },
    ...(custom
      ? columns.map((c) => ({
          name: c.name,
          type: c.type,
          format: c.format ?? '',
          description: c.description ?? '',
          priority: c.priority ?? 0,
        }))
      : [{ name: 'Created At', type: 'date', format: '', description: createdAtDescription, priority: 0 }]),
  ];
  const rows = objects.map((o) => ({
    cells: [
      o.metadata?.name ?? '',
      ...(custom ? printerCells(columns, o, now.getTime()) : [o.metadata?.creationTimestamp ?? null]),
    ],
    object: include === 'None' ? null : include === 'Object' ? o : partialMetadata(o),
  }));
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta ?? {},
    ...(withColumnDefinitions ? { columnDefinitions: defs } : { columnDefinitions: null }),
    rows,
  };
}
