// The authorization contract (k8s.io/apiserver/pkg/authorization/authorizer): the attributes a
// request is judged on, and the apiserver's Forbidden wording. RBAC implements it (src/rbac/).
import type { UserInfo } from './user.js';

/** The attributes RBAC decides on (k8s.io/apiserver/pkg/authorization/authorizer.Attributes). */
export interface AuthorizationAttributes {
  user: UserInfo;
  verb: string;
  isResourceRequest: boolean;
  path: string;
  namespace: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  name: string;
}

export interface Authorizer {
  /** Throws 403 Forbidden with the apiserver's message when the request is not allowed. */
  authorize(tenant: string, attrs: AuthorizationAttributes): Promise<void>;
}

/** The apiserver's Forbidden reason text for a denied request. */
export function forbiddenReason(a: AuthorizationAttributes): string {
  const who = `User "${a.user.username}"`;
  if (!a.isResourceRequest) return `${who} cannot ${a.verb} path "${a.path}"`;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `${who} cannot ${a.verb} resource "${res}" in API group "${a.apiGroup}" ${scope}`;
}
