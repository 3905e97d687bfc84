// Authorization is an interface from the start: issue 6 plugs in the RBAC evaluator over the
// tenant's Roles and bindings. Until then only members of system:masters are allowed.
import { forbidden } from '../api/status.js';
import { SYSTEM_MASTERS, type UserInfo } from './user.js';

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

export class MastersOnlyAuthorizer implements Authorizer {
  async authorize(_tenant: string, a: AuthorizationAttributes): Promise<void> {
    if (a.user.groups.includes(SYSTEM_MASTERS)) return;
    throw forbidden({ group: a.apiGroup, resource: a.resource }, a.name, forbiddenReason(a));
  }
}
