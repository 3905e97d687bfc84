// A tenant's own PersistentVolumes: host PVs under the tenant's cluster names
// (rewrite/cluster-names.ts) with its owner label, shown under the names it wrote, beside the host
// PVs bound to its claims (read only, host-view.ts). One host collection holds both, so a list or
// watch keeps the host's resourceVersions and semantics. Here a request's PV name (URL, field
// selector) is resolved to its host name before passthrough serves it:
// - the tenant's own volume when one of that name exists on the host (or is being created);
// - else a host PV bound to the tenant's claims, for reads (writes to it are the view's 403);
// - else the own name, so the host answers 404 (named in the tenant's words, storage-refs.ts).
import type { RequestInfo } from '../api/request-info.js';
import type { StatusError } from '../api/status.js';
import { escapeFieldValue, parseFieldSelector } from '../api/field-selector.js';
import type { HostClient } from '../hostapi/host-client.js';
import { clusterHostGenerateName } from '../rewrite/cluster-names.js';
import { LABEL_TENANT, LABEL_TENANT_UID, type NamespaceMap } from '../rewrite/namespace-translator.js';
import { type StorageRefs, volumeHostName } from '../rewrite/storage-refs.js';
import { VIEW_RULES } from './host-view.js';
import { ownVolumeExists } from './storage-refs.js';

type Obj = Record<string, unknown>;

const READS = new Set(['get', 'list', 'watch']);

/** The owner labels of the tenant's PVs on the host (removed with the tenant, tenancy/tenant-removal.ts). */
const volumeOwnerLabels = (map: NamespaceMap): Record<string, string> => ({
  [LABEL_TENANT]: map.tenant,
  [LABEL_TENANT_UID]: map.tenantUid,
});

/** Whether the tenant may read the host PV `name` as one of the host's (bound to its claims). */
async function visibleHostVolume(host: HostClient, map: NamespaceMap, name: string): Promise<boolean> {
  const r = await host.request<Obj>('GET', `/api/v1/persistentvolumes/${encodeURIComponent(name)}`);
  const visible = VIEW_RULES['/persistentvolumes']?.visible;
  return r.status === 200 && !!r.body && !!visible?.(r.body, map);
}

/** The host name a PV name of the tenant's request stands for (see the top of this file). */
async function resolve(
  host: HostClient,
  map: NamespaceMap,
  name: string,
  write: boolean,
  denied: () => StatusError,
): Promise<string> {
  const own = volumeHostName(map, name);
  if (await ownVolumeExists(host, map, own)) return own;
  if (await visibleHostVolume(host, map, name)) {
    if (write) throw denied();
    return name;
  }
  return own;
}

export interface VolumeRequest {
  /** The request with its PV name in host form. */
  info: RequestInfo;
  /** The query with metadata.name selections in host form. */
  query: URLSearchParams;
  refs: Pick<StorageRefs, 'volumeName' | 'volumeGenerateName' | 'ownerLabels' | 'shown'>;
}

/** Resolves a request on persistentvolumes (the names of its URL and field selector) to host names. */
export async function volumeRequest(
  host: HostClient,
  map: NamespaceMap,
  info: RequestInfo,
  query: URLSearchParams,
  denied: () => StatusError,
): Promise<VolumeRequest> {
  const shown = new Map<string, string>();
  const write = !READS.has(info.verb);
  let hostName = '';
  if (info.name) {
    hostName = await resolve(host, map, info.name, write, denied);
    if (hostName !== info.name) shown.set(hostName, info.name);
  }
  const q = new URLSearchParams(query);
  const fs = q.get('fieldSelector');
  if (fs) {
    const terms = await Promise.all(
      parseFieldSelector(fs).map(async (t) => {
        if (t.field !== 'metadata.name') return `${t.field}${t.op}${escapeFieldValue(t.value)}`;
        return `${t.field}${t.op}${escapeFieldValue(await resolve(host, map, t.value, write, denied))}`;
      }),
    );
    q.set('fieldSelector', terms.join(','));
  }
  const virtual = info.name;
  return {
    info: hostName ? { ...info, name: hostName } : info,
    query: q,
    refs: {
      // A create names its volume in the body; any other write names the URL's.
      volumeName: (n) =>
        info.verb === 'create'
          ? remember(shown, volumeHostName(map, n), n)
          : n === virtual
            ? hostName
            : undefined,
      volumeGenerateName: (g) => clusterHostGenerateName(map, g),
      ownerLabels: volumeOwnerLabels(map),
      shown,
    },
  };
}

/**
 * The host query of a deletecollection, kept to the tenant's own volumes (after the tenant's
 * selector was rewritten for the host, which drops kplex's label keys).
 */
export function ownVolumesOnly(hostQuery: URLSearchParams, map: NamespaceMap): void {
  const ls = hostQuery.get('labelSelector');
  hostQuery.set('labelSelector', `${ls ? `${ls},` : ''}${LABEL_TENANT_UID}=${map.tenantUid}`);
}

function remember(shown: Map<string, string>, host: string, name: string): string {
  shown.set(host, name);
  return host;
}
