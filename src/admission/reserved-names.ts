// Host objects kplex keeps in every tenant host namespace under a fixed name, by group/resource: a
// tenant's update or delete of that name (its status too: a quota's usage) is refused; a create
// meets kplex's object (the host's AlreadyExists).
import { forbidden } from '../api/status.js';
import type { AdmissionPlugin } from './chain.js';

/** kplex's objects in each tenant host namespace (tenancy/namespace-objects.ts), by group/resource. */
export const KPLEX_OWNED: Readonly<Record<string, string>> = {
  'networking.k8s.io/networkpolicies': 'kplex-tenant-isolation',
  '/resourcequotas': 'quota.kplex.io',
  '/limitranges': 'limits.kplex.io',
};

export function kplexOwnedNames(): AdmissionPlugin {
  const owned = (group: string, resource: string) => KPLEX_OWNED[`${group}/${resource}`];
  return {
    name: 'TenantKplexOwnedNames',
    handles: (a) =>
      (a.operation === 'UPDATE' || a.operation === 'DELETE') &&
      !!a.name &&
      owned(a.resource.group, a.resource.resource) === a.name,
    async validate(a) {
      throw forbidden(
        { group: a.resource.group, resource: a.resource.resource },
        a.name,
        "the name is kplex's own object in every namespace of the tenant (the platform's policy); it cannot be changed or deleted by the tenant",
      );
    },
  };
}
