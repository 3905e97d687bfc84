// The input of discovery and OpenAPI: a tenant's resource table, split into the rows every tenant
// shares (built-in, one array object for all tenants) and the rows of the tenant's own CRDs.
import { type ResourceInfo, groupVersion } from '../resources/types.js';
import { BUILTIN_PRIORITIES, CUSTOM_PRIORITY, DEFAULT_PRIORITY, type Priority } from './group-priorities.js';
import { compareKubeAwareVersions } from './kube-version.js';

export interface DiscoveryTable {
  /** Built-in rows: the SAME array object for every tenant, so documents built from it are shared. */
  readonly builtin: readonly ResourceInfo[];
  /** Rows of the tenant's CRDs, one per served version. */
  readonly custom: readonly ResourceInfo[];
  /**
   * Changes whenever `custom` or any CRD schema behind it changes. Documents are cached on the
   * identity of the `custom` array together with this value.
   */
  readonly generation: number | string;
}

/** The rows of one group/version, from one source (built-in or custom). */
export interface GroupVersionRows {
  group: string;
  version: string;
  groupVersion: string;
  custom: boolean;
  priority: Priority;
  rows: ResourceInfo[];
}

export interface GroupEntry {
  name: string;
  priority: number;
  /** Preferred version first. */
  versions: GroupVersionRows[];
}

const served = (r: ResourceInfo): boolean => r.placement !== 'refused';

/** Rows grouped by group/version (rows of refused resources left out), in first-seen order. */
export function groupVersions(rows: readonly ResourceInfo[], custom: boolean): GroupVersionRows[] {
  const byGV = new Map<string, GroupVersionRows>();
  for (const row of rows) {
    if (!served(row)) continue;
    const gv = groupVersion(row);
    let entry = byGV.get(gv);
    if (!entry) {
      const priority = custom ? CUSTOM_PRIORITY : (BUILTIN_PRIORITIES[gv] ?? DEFAULT_PRIORITY);
      entry = { group: row.group, version: row.version, groupVersion: gv, custom, priority, rows: [] };
      byGV.set(gv, entry);
    }
    entry.rows.push(row);
  }
  return [...byGV.values()];
}

/** Groups ordered as /apis lists them: higher priority first, then by name; versions likewise. */
export function orderGroups(gvs: readonly GroupVersionRows[]): GroupEntry[] {
  const groups = new Map<string, GroupEntry>();
  for (const gv of gvs) {
    let g = groups.get(gv.group);
    if (!g) groups.set(gv.group, (g = { name: gv.group, priority: gv.priority.group, versions: [] }));
    g.priority = Math.max(g.priority, gv.priority.group);
    g.versions.push(gv);
  }
  for (const g of groups.values()) {
    g.versions.sort(
      (a, b) => b.priority.version - a.priority.version || compareKubeAwareVersions(b.version, a.version),
    );
  }
  return [...groups.values()].sort(
    (a, b) => b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

/** The version objects of `row`'s group/resource are stored in, among `rows` (undefined if none says). */
export function storageVersionOf(row: ResourceInfo, rows: readonly ResourceInfo[]): string | undefined {
  if (row.storageVersion) return row.version;
  return rows.find((r) => r.group === row.group && r.resource === row.resource && r.storageVersion)?.version;
}
