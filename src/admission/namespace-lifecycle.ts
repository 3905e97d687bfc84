// The NamespaceLifecycle admission plugin: no new content in a missing namespace (404) or in one
// being terminated (403 with the NamespaceTerminating cause), as the apiserver's plugin.
import { forbidden, notFound } from '../api/status.js';
import type { TenantStore } from '../store/types.js';
import type { AdmissionPlugin } from './chain.js';

/** Namespaces seen live at one store version; a bound, as a tenant may have thousands. */
const MAX_LIVE = 1024;

export function namespaceLifecycle(store: () => TenantStore): AdmissionPlugin {
  // Live namespaces as of the store's version `at`: every create in one asks again only after a
  // write of the tenant (any change to a namespace is one), not a SQLite read per create.
  let live = { store: undefined as TenantStore | undefined, at: -1, names: new Set<string>() };
  return {
    name: 'NamespaceLifecycle',
    handles: (a) =>
      a.operation === 'CREATE' &&
      !a.subresource &&
      !!a.namespace &&
      !(a.resource.resource === 'namespaces' && !a.resource.group),
    validateRequest(a) {
      const ns = a.namespace;
      const s = store();
      const at = s.currentRV();
      if (live.store !== s || live.at !== at) live = { store: s, at, names: new Set() };
      if (live.names.has(ns)) return;
      const stored = s.get({ group: '', resource: 'namespaces', namespace: '', name: ns });
      if (!stored) throw notFound({ group: '', resource: 'namespaces' }, ns);
      if (stored.object.metadata?.deletionTimestamp) {
        const msg = `unable to create new content in namespace ${ns} because it is being terminated`;
        const err = forbidden({ group: a.resource.group, resource: a.resource.resource }, a.name, msg);
        err.status.details = {
          ...(err.status.details ?? {}),
          causes: [{ reason: 'NamespaceTerminating', message: msg, field: 'metadata.namespace' }],
        };
        throw err;
      }
      if (live.names.size < MAX_LIVE) live.names.add(ns);
    },
  };
}
