// Virtual namespace <-> host namespace. The host name is readable (`<tenant>-<ns>`) where it fits
// in 63 characters and is free, otherwise truncated with a hash suffix. The mapping is RECORDED
// (host labels + the tenant store), never parsed back from a name.
import { createHash } from 'node:crypto';

export const LABEL_TENANT = 'kplex.io/tenant';
export const LABEL_NAMESPACE = 'kplex.io/namespace';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';

const MAX = 63;

function hashSuffix(tenant: string, ns: string, attempt: number): string {
  return createHash('sha256').update(`${tenant}\0${ns}\0${attempt}`).digest('hex').slice(0, 10);
}

/**
 * Candidate host names for (tenant, ns), best first: the readable one (when it fits), then
 * hashed ones. Callers take the first that is free on the host.
 */
export function hostNamespaceCandidates(tenant: string, ns: string, count = 4): string[] {
  const out: string[] = [];
  const readable = `${tenant}-${ns}`;
  if (readable.length <= MAX) out.push(readable);
  for (let attempt = 0; out.length < count; attempt++) {
    const suffix = hashSuffix(tenant, ns, attempt);
    const prefix = readable.slice(0, MAX - suffix.length - 1).replace(/-+$/, '');
    out.push(`${prefix}-${suffix}`);
  }
  return out;
}

/** The labels every host namespace of a tenant carries: the recorded mapping. */
export function hostNamespaceLabels(tenant: string, ns: string): Record<string, string> {
  return { [LABEL_TENANT]: tenant, [LABEL_NAMESPACE]: ns, [LABEL_MANAGED_BY]: 'kplex' };
}

/** True when a host namespace object is the one kplex created for (tenant, ns). */
export function isOurHostNamespace(obj: { metadata?: { labels?: Record<string, string> } } | undefined, tenant: string, ns: string): boolean {
  const l = obj?.metadata?.labels ?? {};
  return l[LABEL_TENANT] === tenant && l[LABEL_NAMESPACE] === ns && l[LABEL_MANAGED_BY] === 'kplex';
}
