// Which tenant a request is for. Kubeconfigs name it in the URL (/clusters/<tenant>/...); clients
// that drop the server URL's path (in-cluster clients, `kubectl replace --raw`) are resolved from
// their credential. The tenant read here is only a routing hint: the tenant handler still
// authenticates the credential FOR that tenant, so a forged claim gets 401.
import { decodeJwt } from 'jose';
import { validTenantName } from '../tenancy/tenant-name.js';
import { POD_AUDIENCE_PREFIX } from '../syncer/pod-wiring.js';

const TENANT_PREFIX = /^\/clusters\/([^/]+)(\/.*)?$/;
const TENANT_CLAIM = 'kplex.io/tenant';

export interface ResolvedTenant {
  tenant: string;
  /** The request path below the tenant prefix. */
  path: string;
}

export function tenantFromPath(pathname: string): ResolvedTenant | undefined {
  const m = TENANT_PREFIX.exec(pathname);
  if (!m) return undefined;
  let tenant = m[1] ?? '';
  try {
    tenant = decodeURIComponent(tenant);
  } catch {
    // malformed escapes: kept as written; no token names such a tenant, so authentication refuses it
  }
  return { tenant, path: m[2] ?? '/' };
}

/**
 * The tenant named by a bearer token's claims (unverified): a kplex token's tenant claim, or the
 * one tenant audience of a pod's host token (the pod webhook's projected token).
 */
export function tenantFromCredential(token: string | undefined): string | undefined {
  if (!token) return undefined;
  try {
    const claims = decodeJwt(token);
    const claim = claims[TENANT_CLAIM];
    if (claim !== undefined) return typeof claim === 'string' && validTenantName(claim) ? claim : undefined;
    const auds = (Array.isArray(claims.aud) ? claims.aud : [claims.aud]).filter(
      (a): a is string => typeof a === 'string' && a.startsWith(POD_AUDIENCE_PREFIX),
    );
    const named = auds.length === 1 ? auds[0]!.slice(POD_AUDIENCE_PREFIX.length) : '';
    return validTenantName(named) ? named : undefined;
  } catch {
    return undefined;
  }
}
