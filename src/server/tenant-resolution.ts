// Which tenant a request is for. Kubeconfigs name it in the URL (/clusters/<tenant>/...); clients
// that drop the server URL's path (in-cluster clients, `kubectl replace --raw`) are resolved from
// their credential. The tenant read here is only a routing hint: the tenant handler still
// authenticates the credential FOR that tenant, so a forged claim gets 401.
import { decodeJwt } from 'jose';
import { validTenantName } from '../tenancy/tenant-name.js';

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

/** The tenant named by a bearer token's claims (unverified), if it is a kplex token. */
export function tenantFromCredential(token: string | undefined): string | undefined {
  if (!token) return undefined;
  try {
    const claim = decodeJwt(token)[TENANT_CLAIM];
    return typeof claim === 'string' && validTenantName(claim) ? claim : undefined;
  } catch {
    return undefined;
  }
}
