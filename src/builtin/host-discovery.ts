// The host's half of the resource table: every group/version/resource the host serves (from its
// aggregated discovery, two requests), placed by HOST_PLACEMENT. Refused rows are kept so routing
// can tell "exists on the host but not for you" from "unknown"; discovery leaves them out.
import type { HostClient } from '../hostapi/host-client.js';
import { HOST_COMPUTED, hostPlacement, VIEW_VERBS } from '../resources/host-placement.js';
import type { ResourceInfo } from '../resources/types.js';

const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

interface DiscoveredResource {
  resource: string;
  responseKind?: { group: string; version: string; kind: string };
  scope: 'Namespaced' | 'Cluster';
  singularResource?: string;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: { subresource: string }[];
}

interface GroupDiscovery {
  metadata: { name?: string };
  versions: { version: string; resources?: DiscoveredResource[] }[];
}

async function fetchAggregated(host: HostClient, path: string): Promise<GroupDiscovery[]> {
  const res = await host.dispatcher.request({
    origin: host.origin,
    path: host.basePath + path,
    method: 'GET',
    headers: host.headers({ accept: AGGREGATED }),
    headersTimeout: 30_000,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`host discovery ${path}: ${res.statusCode}`);
  return (JSON.parse(text) as { items?: GroupDiscovery[] }).items ?? [];
}

/** One row per host group/version/resource; the first (preferred) version is the storage version. */
export function rowsFromDiscovery(groups: GroupDiscovery[]): ResourceInfo[] {
  const rows: ResourceInfo[] = [];
  for (const g of groups) {
    const group = g.metadata.name ?? '';
    g.versions.forEach((v, i) => {
      for (const r of v.resources ?? []) {
        const placement = hostPlacement(group, r.resource);
        const kind = r.responseKind?.kind ?? '';
        const subs = new Set((r.subresources ?? []).map((s) => s.subresource));
        const computed = HOST_COMPUTED[`${group}/${r.resource}`];
        rows.push({
          group,
          version: v.version,
          resource: r.resource,
          kind,
          listKind: `${kind}List`,
          singular: r.singularResource ?? kind.toLowerCase(),
          namespaced: r.scope === 'Namespaced',
          verbs:
            placement === 'host-view' ? VIEW_VERBS.filter((x) => r.verbs?.includes(x)) : [...(r.verbs ?? [])],
          ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
          ...(r.categories?.length ? { categories: r.categories } : {}),
          placement,
          storageVersion: i === 0,
          ...(computed ? { computed } : {}),
          ...(subs.has('status') || subs.has('scale')
            ? { subresources: { ...(subs.has('status') ? { status: true } : {}) } }
            : {}),
        });
      }
    });
  }
  return rows;
}

export async function discoverHostResources(host: HostClient): Promise<ResourceInfo[]> {
  const [core, apis] = await Promise.all([fetchAggregated(host, '/api'), fetchAggregated(host, '/apis')]);
  return rowsFromDiscovery([...core, ...apis]);
}
