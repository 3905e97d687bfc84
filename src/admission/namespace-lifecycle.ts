// The NamespaceLifecycle admission plugin: no new content in a missing namespace (404) or in one
// being terminated (403 with the NamespaceTerminating cause), as the apiserver's plugin.
import { forbidden, notFound } from '../api/status.js';
import type { TenantStore } from '../store/types.js';
import type { AdmissionPlugin } from './chain.js';

export function namespaceLifecycle(store: () => TenantStore): AdmissionPlugin {
  return {
    name: 'NamespaceLifecycle',
    handles: (a) =>
      a.operation === 'CREATE' &&
      !a.subresource &&
      !!a.namespace &&
      !(a.resource.resource === 'namespaces' && !a.resource.group),
    validateRequest(a) {
      const ns = a.namespace;
      const stored = store().get({ group: '', resource: 'namespaces', namespace: '', name: ns });
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
    },
  };
}
