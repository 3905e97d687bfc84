// The legacy (unaggregated) discovery documents: APIVersions, APIGroupList, APIGroup and
// APIResourceList, with the fields, key order and per-source conventions of kube-apiserver v1.32
// (installer.go for built-ins, customresource_discovery_controller.go for CRDs).
import type { ResourceInfo } from '../resources/types.js';
import { servedSubresources } from './builtin-subresources.js';
import { storageVersionHash } from './storage-version-hash.js';
import { type GroupEntry, type GroupVersionRows, storageVersionOf } from './table.js';

export interface APIResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  storageVersionHash?: string;
}

export interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

export interface APIGroup {
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

export interface ServerAddressByClientCIDR {
  clientCIDR: string;
  serverAddress: string;
}

/** The CRD discovery controller lists verbs in this order (not sorted, unlike built-ins). */
const CRD_VERB_ORDER = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];
const SUBRESOURCE_VERBS = ['get', 'patch', 'update'];

const nonEmpty = (l: readonly string[] | undefined): string[] | undefined =>
  l && l.length > 0 ? [...l] : undefined;

function resourceEntry(row: ResourceInfo, verbs: string[], hash: string | undefined): APIResource {
  return {
    name: row.resource,
    singularName: row.singular,
    namespaced: row.namespaced,
    kind: row.kind,
    verbs,
    shortNames: nonEmpty(row.shortNames),
    categories: nonEmpty(row.categories),
    storageVersionHash: hash,
  };
}

function hashFor(row: ResourceInfo, rows: readonly ResourceInfo[]): string | undefined {
  const storage = storageVersionOf(row, rows);
  return storage ? storageVersionHash(row.group, storage, row.kind) : undefined;
}

/** A built-in group/version's resources: sorted by path, each followed by its subresources. */
export function builtinResources(gv: GroupVersionRows, allRows: readonly ResourceInfo[]): APIResource[] {
  const out: APIResource[] = [];
  for (const row of gv.rows) {
    out.push(resourceEntry(row, [...row.verbs].sort(), hashFor(row, allRows)));
    for (const sub of servedSubresources(gv.groupVersion, row)) {
      out.push({
        name: `${row.resource}/${sub.name}`,
        singularName: '',
        namespaced: row.namespaced,
        group: sub.group,
        version: sub.version,
        kind: sub.kind,
        verbs: [...sub.verbs],
      });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A CRD group/version's resources: per CRD the resource, then status, then scale. */
export function customResources(gv: GroupVersionRows, allRows: readonly ResourceInfo[]): APIResource[] {
  const out: APIResource[] = [];
  const rows = [...gv.rows].sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
  for (const row of rows) {
    const verbs = CRD_VERB_ORDER.filter((v) => row.verbs.includes(v));
    out.push(resourceEntry(row, verbs, hashFor(row, allRows)));
    if (row.subresources?.status) {
      out.push({
        name: `${row.resource}/status`,
        singularName: '',
        namespaced: row.namespaced,
        kind: row.kind,
        verbs: [...SUBRESOURCE_VERBS],
      });
    }
    if (row.subresources?.scale) {
      out.push({
        name: `${row.resource}/scale`,
        singularName: '',
        namespaced: row.namespaced,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: [...SUBRESOURCE_VERBS],
      });
    }
  }
  return out;
}

/** `/api/v1` is served without apiVersion (keepUnversioned); every other group/version with it. */
export function apiResourceList(groupVersion: string, resources: APIResource[]): object {
  const unversioned = groupVersion === 'v1' || groupVersion.startsWith('extensions/');
  return unversioned
    ? { kind: 'APIResourceList', groupVersion, resources }
    : { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

export function apiGroup(group: GroupEntry): APIGroup {
  const versions = group.versions.map((v) => ({ groupVersion: v.groupVersion, version: v.version }));
  return { name: group.name, versions, preferredVersion: versions[0] as GroupVersionForDiscovery };
}

export const apiGroupDocument = (group: APIGroup): object => ({
  kind: 'APIGroup',
  apiVersion: 'v1',
  ...group,
});

/** `/api`: unversioned, with the address clients should use. */
export const apiVersions = (addresses: ServerAddressByClientCIDR[]): object => ({
  kind: 'APIVersions',
  versions: ['v1'],
  serverAddressByClientCIDRs: addresses,
});
