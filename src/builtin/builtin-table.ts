// The built-in rows every tenant shares: the virtual built-ins plus the host's rows, as ONE array
// object (discovery caches documents on its identity). Replaced only when the host's discovery
// really changed, so caches stay warm across refreshes.
import type { HostClient } from '../hostapi/host-client.js';
import type { Logger } from '../log/logger.js';
import { builtinVirtualResources } from './builtin-virtual.js';
import { discoverHostResources } from './host-discovery.js';
import type { ResourceInfo } from '../resources/types.js';

const key = (r: ResourceInfo): string => `${r.group}/${r.version}/${r.resource}`;

let shared: readonly ResourceInfo[] = builtinVirtualResources;
let fingerprint = '';

/** Virtual built-ins first; host rows for group/version/resources no virtual row claims. */
export function mergeBuiltinRows(
  virtual: readonly ResourceInfo[],
  host: readonly ResourceInfo[],
): ResourceInfo[] {
  const taken = new Set(virtual.map(key));
  // A virtual group/resource (namespaces, CRDs, RBAC...) is never served from the host in any version.
  const takenGR = new Set(virtual.map((r) => `${r.group}/${r.resource}`));
  const fromHost = host.filter((r) => !taken.has(key(r)) && !takenGR.has(`${r.group}/${r.resource}`));
  // A host row placed 'virtual' that no virtual row serves (yet) has no strategy: refuse it.
  return [
    ...virtual,
    ...fromHost.map((r) => (r.placement === 'virtual' ? { ...r, placement: 'refused' as const } : r)),
  ];
}

/** The shared built-in rows (same array until the host's discovery changes). */
export function builtinRows(): readonly ResourceInfo[] {
  return shared;
}

/** Installs host rows; returns true when the shared array changed. */
export function setHostRows(host: readonly ResourceInfo[]): boolean {
  const fp = JSON.stringify(host);
  if (fp === fingerprint && shared.length > builtinVirtualResources.length) return false;
  fingerprint = fp;
  shared = Object.freeze(mergeBuiltinRows(builtinVirtualResources, host));
  return true;
}

/** Loads the host's discovery now, then refreshes it every `intervalMs` (CRDs/aggregated APIs come and go). */
export async function startHostResourceRefresh(
  host: HostClient,
  logger: Logger,
  intervalMs = 60_000,
): Promise<() => void> {
  setHostRows(await discoverHostResources(host));
  const timer = setInterval(() => {
    discoverHostResources(host)
      .then((rows) => setHostRows(rows) && logger.info({ rows: rows.length }, 'host discovery changed'))
      .catch((err: unknown) => logger.warn({ err }, 'refreshing host discovery failed'));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
