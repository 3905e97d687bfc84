// Host objects kplex keeps in every tenant host namespace under a fixed name, by group/resource:
// hidden from the tenant's reads (kplex.io/hidden), and a tenant's update or delete of that name is
// refused (a create meets kplex's object: the host's AlreadyExists).
import { forbidden } from '../api/status.js';
import type { AdmissionPlugin } from './chain.js';

/** kplex's NetworkPolicy in each tenant host namespace (tenancy/network-isolation.ts). */
export const ISOLATION_POLICY = 'kplex-tenant-isolation';

const KPLEX_OWNED: Readonly<Record<string, string>> = {
  'networking.k8s.io/networkpolicies': ISOLATION_POLICY,
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
        "the name is kplex's own object in every namespace of the tenant (the platform's isolation); it cannot be changed or deleted by the tenant",
      );
    },
  };
}
