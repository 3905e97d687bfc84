// meta.k8s.io/v1 Table and PartialObjectMetadata(List) renderings of virtual objects: the
// default convertor's Name / Created At columns, or Name plus the strategy's printer columns.
import type { KubeList, KubeObject } from '../api/object.js';
import { isObject } from '../api/object.js';
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
  return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: list.metadata, items: list.items.map(partialMetadata) };
}

/** Evaluates the simple JSONPaths printer columns use (`.spec.a.b`, `.status.list[0].x`). */
function evalPath(obj: unknown, path: string): unknown {
  const parts = path.replace(/^\{?\.?/, '').replace(/\}$/, '').split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '');
  let cur: unknown = obj;
  for (const p of parts) {
    if (Array.isArray(cur) && /^\d+$/.test(p)) cur = cur[Number(p)];
    else if (isObject(cur)) cur = cur[p];
    else return undefined;
  }
  return cur;
}

/** duration.HumanDuration's short form used for date columns (e.g. 5s, 3m, 2d). */
function age(ts: string, now: Date): string {
  const s = Math.max(0, Math.floor((now.getTime() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

function cell(obj: KubeObject, c: PrinterColumn, now: Date): unknown {
  const v = evalPath(obj, c.jsonPath);
  if (v === undefined || v === null) return null;
  if (c.type === 'date' && typeof v === 'string') return age(v, now);
  if (typeof v === 'object') return JSON.stringify(v);
  return v;
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
      ? columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 }))
      : [{ name: 'Created At', type: 'date', format: '', description: createdAtDescription, priority: 0 }]),
  ];
  const rows = objects.map((o) => ({
    cells: [o.metadata?.name ?? '', ...(custom ? columns.map((c) => cell(o, c, now)) : [o.metadata?.creationTimestamp ?? null])],
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
