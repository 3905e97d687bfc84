// Aggregated discovery (apidiscovery.k8s.io/v2 and v2beta1, same JSON shape): one document for
// all of /api or /apis. Built-ins are converted from their APIResource list as the apiserver's
// ConvertGroupVersionIntoToDiscovery does; CRDs as the CRD discovery controller builds them.
import type { APIResource } from './legacy.js';
import type { GroupVersionRows } from './table.js';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface APISubresourceDiscovery {
  subresource: string;
  responseKind: GroupVersionKind;
  verbs: string[];
}

export interface APIResourceDiscovery {
  resource: string;
  responseKind: GroupVersionKind;
  scope: 'Namespaced' | 'Cluster';
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: APISubresourceDiscovery[];
}

export interface APIVersionDiscovery {
  version: string;
  resources: APIResourceDiscovery[];
  freshness: 'Current' | 'Stale';
}

export type DiscoveryVersion = 'v2' | 'v2beta1';

const scopeOf = (namespaced: boolean): 'Namespaced' | 'Cluster' => (namespaced ? 'Namespaced' : 'Cluster');

/** Built-in: from the legacy list; response kinds carry group/version only where the list does. */
export function builtinVersionDiscovery(
  gv: GroupVersionRows,
  list: readonly APIResource[],
): APIVersionDiscovery {
  const resources: APIResourceDiscovery[] = [];
  const parents = new Map<string, APIResourceDiscovery>();
  for (const r of list) {
    if (r.name.includes('/')) continue;
    const entry: APIResourceDiscovery = {
      resource: r.name,
      responseKind: { group: r.group ?? '', version: r.version ?? '', kind: r.kind },
      scope: scopeOf(r.namespaced),
      singularResource: r.singularName,
      verbs: r.verbs,
      shortNames: r.shortNames,
      categories: r.categories,
    };
    resources.push(entry);
    parents.set(r.name, entry);
  }
  for (const r of list) {
    const slash = r.name.indexOf('/');
    if (slash < 0) continue;
    const parent = parents.get(r.name.slice(0, slash));
    if (!parent) continue;
    (parent.subresources ??= []).push({
      subresource: r.name.slice(slash + 1),
      responseKind: { group: r.group ?? '', version: r.version ?? '', kind: r.kind },
      verbs: r.verbs,
    });
  }
  return { version: gv.version, resources, freshness: 'Current' };
}

/** CRDs: response kinds always name the group/version; resources sorted by plural. */
export function customVersionDiscovery(
  gv: GroupVersionRows,
  list: readonly APIResource[],
): APIVersionDiscovery {
  const base = builtinVersionDiscovery(gv, list);
  for (const r of base.resources) {
    r.responseKind = { group: gv.group, version: gv.version, kind: r.responseKind.kind };
    for (const s of r.subresources ?? []) {
      if (s.subresource === 'status')
        s.responseKind = { group: gv.group, version: gv.version, kind: s.responseKind.kind };
    }
  }
  base.resources.sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
  return base;
}

/** One APIGroupDiscovery item; the core group has no name. */
export function groupDiscovery(name: string, versions: APIVersionDiscovery[]): object {
  const metadata = name ? { name, creationTimestamp: null } : { creationTimestamp: null };
  return { metadata, versions };
}

export const discoveryListHead = (version: DiscoveryVersion): string =>
  `{"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/${version}","metadata":{},"items":[`;

export const AGGREGATED_KIND = 'APIGroupDiscoveryList';
export const AGGREGATED_GROUP = 'apidiscovery.k8s.io';
