// The Priority admission plugin's rule for PriorityClass writes (plugin/pkg/admission/priority):
// one globalDefault class at most among the tenant's own classes. The tenant's default is its
// own: it never becomes the host's (docs/architecture.md, "Classes, storage descriptions and nodes").
import { forbidden } from '../api/status.js';
import type { TenantStore } from '../store/types.js';
import type { AdmissionPlugin } from './chain.js';

const GROUP = 'scheduling.k8s.io';
const RESOURCE = 'priorityclasses';

export function priorityClassDefault(store: () => TenantStore): AdmissionPlugin {
  return {
    name: 'Priority',
    handles: (a) =>
      a.resource.group === GROUP &&
      a.resource.resource === RESOURCE &&
      !a.subresource &&
      (a.operation === 'CREATE' || a.operation === 'UPDATE'),
    async validate(a) {
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
