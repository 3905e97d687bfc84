// The apiserver's rules for PriorityClass writes: one globalDefault class at most among the
// tenant's classes (plugin/pkg/admission/priority), and the system classes (shared by every
// tenant, rbac/bootstrap-policy.ts) are never deleted (the priorityclass REST's Delete). The
// tenant's default is its own: it never becomes the host's (docs/architecture.md, Decisions).
import { forbidden } from '../api/status.js';
import type { TenantStore } from '../store/types.js';
import type { AdmissionPlugin } from './chain.js';

const GROUP = 'scheduling.k8s.io';
const RESOURCE = 'priorityclasses';
const SYSTEM_CLASSES = new Set(['system-node-critical', 'system-cluster-critical']);

export function priorityClassDefault(store: () => TenantStore): AdmissionPlugin {
  return {
    name: 'Priority',
    handles: (a) =>
      a.resource.group === GROUP &&
      a.resource.resource === RESOURCE &&
      !a.subresource &&
      (a.operation === 'CREATE' || a.operation === 'UPDATE' || a.operation === 'DELETE'),
    async validate(a) {
      // A DELETECOLLECTION is judged item by item too: it stops at a system class.
      if (a.operation === 'DELETE' && SYSTEM_CLASSES.has(a.name))
        throw forbidden(
          { group: GROUP, resource: RESOURCE },
          a.name,
          'this is a system priority class and cannot be deleted',
        );
      if (a.object?.['globalDefault'] !== true) return [];
      const name = a.object.metadata?.name ?? a.name;
      // A tenant has a handful of classes: one page of the store holds them.
      for (const s of store().list({ group: GROUP, resource: RESOURCE }).items) {
        const other = s.object.metadata?.name;
        if (s.object['globalDefault'] === true && other !== name)
          throw forbidden(
            { group: GROUP, resource: RESOURCE },
            name,
            `PriorityClass ${other} is already marked as default. Only one default can exist`,
          );
      }
      return [];
    },
  };
}
