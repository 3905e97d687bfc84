// How one write of a claim, claim template or PersistentVolume names volumes and storage classes on
// the host (rewrite/storage-refs.ts applies it):
// - a PersistentVolume's class is always in the tenant's host form, "" (no class) too, so only the
//   tenant's own claims can bind it, and its claims bind nothing of another tenant's;
// - a claim's class is the tenant's own (host form) unless the host has a class of that very name
//   of its own and the tenant none: the host's classes stay usable (within the Tenant policy);
// - a claim's volumeName is the tenant's own PersistentVolume when it has one of that name, else
//   the host's name as written (a volume the host's provisioner made for the tenant's claim; the
//   TenantClaimVolumeName plugin refuses any other).
import type { HostClient } from '../hostapi/host-client.js';
import type { NamespaceMap } from '../rewrite/namespace-translator.js';
import { LABEL_TENANT_UID } from '../rewrite/namespace-translator.js';
import { classToHost } from '../rewrite/cluster-names.js';
import { STORAGE_REF_PATHS, type StorageRefs, volumeHostName } from '../rewrite/storage-refs.js';
import { visitPath } from '../rewrite/field-paths.js';

type Obj = Record<string, unknown>;

/** The rows whose writes carry such names. */
const STORAGE_REF_ROWS = new Set(['/persistentvolumeclaims', 'apps/statefulsets', '/persistentvolumes']);

/** Host StorageClass names, read at most this often (classes change rarely; a write waits for one read). */
const CLASSES_TTL_MS = 5_000;
const classCache = new Map<string, { at: number; names: Promise<Set<string>> }>();

/** The names of the host's StorageClasses (the host's own and tenants'), cached per host briefly. */
export function hostStorageClassNames(host: HostClient): Promise<Set<string>> {
  const key = host.origin + host.basePath;
  const hit = classCache.get(key);
  if (hit && Date.now() - hit.at < CLASSES_TTL_MS) return hit.names;
  const names = host
    .request<{ items?: { metadata?: { name?: string } }[] }>(
      'GET',
      '/apis/storage.k8s.io/v1/storageclasses?resourceVersion=0',
    )
    .then((r) => new Set((r.status === 200 ? (r.body?.items ?? []) : []).map((c) => c.metadata?.name ?? '')));
  classCache.set(key, { at: Date.now(), names });
  names.catch(() => classCache.delete(key));
  return names;
}

/** Volume names a write may bind: `spec.volumeName` of objects, and the values of JSON patch ops on it. */
function volumeNames(bodies: unknown[]): string[] {
  const out = new Set<string>();
  for (const b of bodies) {
    for (const p of STORAGE_REF_PATHS.volumes)
      visitPath(b, p, (o, k) => typeof o[k] === 'string' && o[k] && out.add(o[k] as string));
    if (Array.isArray(b))
      for (const op of b as Obj[])
        if (
          typeof op?.['path'] === 'string' &&
          op['path'].endsWith('/volumeName') &&
          typeof op['value'] === 'string'
        )
          out.add(op['value']);
  }
  return [...out].slice(0, 16);
}

/** Whether the host PersistentVolume `hostName` is the tenant's own. */
export async function ownVolumeExists(
  host: HostClient,
  map: NamespaceMap,
  hostName: string,
): Promise<boolean> {
  const r = await host.request<Obj>('GET', `/api/v1/persistentvolumes/${encodeURIComponent(hostName)}`);
  const labels = ((r.body?.['metadata'] as Obj | undefined)?.['labels'] ?? {}) as Record<string, string>;
  return r.status === 200 && labels[LABEL_TENANT_UID] === map.tenantUid;
}

/**
 * The naming of one write on `gr`, decided before it is rewritten (undefined for other rows).
 * `bodies`: the request body, and for a patch the patch (the current object's values are kept by
 * the rewrite itself).
 */
export async function storageRefsFor(
  host: HostClient,
  map: NamespaceMap,
  gr: string,
  bodies: unknown[],
): Promise<StorageRefs | undefined> {
  if (!STORAGE_REF_ROWS.has(gr)) return undefined;
  const forVolume = gr === '/persistentvolumes';
  const [classes, owned] = await Promise.all([
    forVolume ? Promise.resolve(new Set<string>()) : hostStorageClassNames(host),
    Promise.all(
      volumeNames(bodies).map(async (v) =>
        (await ownVolumeExists(host, map, volumeHostName(map, v))) ? v : undefined,
      ),
    ),
  ]);
  const own = new Set(owned.filter((v): v is string => v !== undefined));
  return {
    forVolume,
    claimClass: (v) => (v && !classes.has(classToHost(map, v)) && classes.has(v) ? v : classToHost(map, v)),
    claimVolume: (v) => (own.has(v) ? volumeHostName(map, v) : v),
  };
}
