// Virtual namespace <-> host namespace. The host name is readable (`<tenant>-<ns>`) where it fits
// in 63 characters and is free, otherwise truncated with a suffix. The mapping is RECORDED (host
// labels + the tenant store), never parsed back from a name.
//
// Other tenants choose their own host names too (`a` + `b-c` and `a-b` + `c` both read `a-b-c`),
// so any name a tenant can predict, another tenant can take first. Only the readable name is
// predictable; the next candidate is hashed with the tenant's UID (which no other tenant learns)
// and every later one is random, so pre-creating names can never exhaust a tenant's candidates.
import { createHash, randomBytes } from 'node:crypto';

export const LABEL_TENANT = 'kplex.io/tenant';
export const LABEL_TENANT_UID = 'kplex.io/tenant-uid';
export const LABEL_NAMESPACE = 'kplex.io/namespace';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';

const MAX = 63;

/** A tenant as kplex knows it: a name can be reused after a delete, the UID never is. */
export interface TenantIdentity {
  name: string;
  uid: string;
}

function withSuffix(readable: string, suffix: string): string {
  const prefix = readable.slice(0, MAX - suffix.length - 1).replace(/-+$/, '');
  return `${prefix}-${suffix}`;
}

/**
 * Candidate host names for (tenant, ns), best first: the readable one (when it fits), one hashed
 * with the tenant UID, then random ones. Callers take the first that is free on the host.
 */
export function hostNamespaceCandidates(tenant: TenantIdentity, ns: string, count = 8): string[] {
  const out: string[] = [];
  const readable = `${tenant.name}-${ns}`;
  if (readable.length <= MAX) out.push(readable);
  out.push(
    withSuffix(readable, createHash('sha256').update(`${tenant.uid}\0${ns}`).digest('hex').slice(0, 10)),
  );
  while (out.length < count) out.push(withSuffix(readable, randomBytes(6).toString('hex')));
  return out;
}

/** The labels every host namespace of a tenant carries: the recorded mapping. */
export function hostNamespaceLabels(tenant: TenantIdentity, ns: string): Record<string, string> {
  return {
    [LABEL_TENANT]: tenant.name,
    [LABEL_TENANT_UID]: tenant.uid,
    [LABEL_NAMESPACE]: ns,
    [LABEL_MANAGED_BY]: 'kplex',
  };
}

/**
 * True when a host namespace object is the one kplex created for (tenant, ns): the UID label
 * tells a deleted tenant's namespace (perhaps still Terminating, with its objects) from a new
 * tenant's of the same name.
 */
export function isOurHostNamespace(
  obj: { metadata?: { labels?: Record<string, string>; deletionTimestamp?: string } } | undefined,
  tenant: TenantIdentity,
  ns: string,
): boolean {
  const l = obj?.metadata?.labels ?? {};
  return (
    l[LABEL_TENANT] === tenant.name &&
    l[LABEL_TENANT_UID] === tenant.uid &&
    l[LABEL_NAMESPACE] === ns &&
    l[LABEL_MANAGED_BY] === 'kplex'
  );
}
