// Host objects kplex keeps in every tenant host namespace under a fixed name, by group/resource: a
// tenant's update or delete of that name (its status too: a quota's usage) is refused; a create
// meets kplex's object (the host's AlreadyExists).
import { forbidden } from '../api/status.js';
import { TENANT_QUOTA_NAME } from '../limits/tenant-quota.js';
import type { AdmissionPlugin } from './chain.js';

/** kplex's objects in each tenant host namespace (tenancy/namespace-objects.ts), by group/resource. */
export const KPLEX_OWNED: Readonly<Record<string, readonly string[]>> = {
  'networking.k8s.io/networkpolicies': ['kplex-tenant-isolation'],
  '/resourcequotas': ['quota.kplex.io', TENANT_QUOTA_NAME],
  '/limitranges': ['limits.kplex.io'],
};

/** Why a tenant's write or delete of one of KPLEX_OWNED is refused. */
export const KPLEX_OWNED_REASON =
  "the name is kplex's own object in every namespace of the tenant (the platform's policy); it cannot be changed or deleted by the tenant";

export function kplexOwnedNames(): AdmissionPlugin {
  const owned = (group: string, resource: string) => KPLEX_OWNED[`${group}/${resource}`];
  return {
    name: 'TenantKplexOwnedNames',
    handles: (a) =>
      (a.operation === 'UPDATE' || a.operation === 'DELETE') &&
      !!a.name &&
      !!owned(a.resource.group, a.resource.resource)?.includes(a.name),
    async validate(a) {
      throw forbidden({ group: a.resource.group, resource: a.resource.resource }, a.name, KPLEX_OWNED_REASON);
    },
  };
}

/** The label an operator sets on a ResourceQuota or LimitRange it keeps in a tenant's host namespace. */
export const OPERATOR_OWNED_LABEL = 'kplex.io/operator-owned';
/** group/resource of the kinds an operator's objects of (OPERATOR_OWNED_LABEL) are read-only. */
export const OPERATOR_KINDS: ReadonlySet<string> = new Set(['/resourcequotas', '/limitranges']);
/** Why a tenant's write or delete of an operator's object is refused. */
export const OPERATOR_OWNED_REASON =
  "the object is the platform's policy for this namespace; it cannot be changed or deleted by the tenant";

/**
 * An operator's ResourceQuotas and LimitRanges in a tenant's namespaces (labelled on the host with
 * OPERATOR_OWNED_LABEL: a kplex.io/ key, which no tenant write can set, and which the tenant never
 * reads) are read-only to the tenant: the label is read from the host object itself.
 */
export function operatorOwned(): AdmissionPlugin {
  return {
    name: 'TenantOperatorOwned',
    handles: (a) =>
      (a.operation === 'UPDATE' || a.operation === 'DELETE') &&
      !!a.name &&
      OPERATOR_KINDS.has(`${a.resource.group}/${a.resource.resource}`),
    async validate(a, env) {
      const ns = env.hostNamespaceOf?.(a.namespace);
      if (!ns || !env.hostClient) return [];
      const r = await env.hostClient.request<{ metadata?: { labels?: Record<string, string> } }>(
        'GET',
        `/api/v1/namespaces/${encodeURIComponent(ns)}/${a.resource.resource}/${encodeURIComponent(a.name)}`,
      );
      if (r.status === 200 && r.body?.metadata?.labels?.[OPERATOR_OWNED_LABEL] === 'true')
        throw forbidden(
          { group: a.resource.group, resource: a.resource.resource },
          a.name,
          OPERATOR_OWNED_REASON,
        );
      return [];
    },
  };
}
