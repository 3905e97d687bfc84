// The Authorizer of a tenant: system:masters (the privileged-group authorizer), then the
// Kubernetes RBAC algorithm over the tenant's effective RBAC objects
// (plugin/pkg/auth/authorizer/rbac). Denials carry the apiserver's Forbidden message.
import { forbidden } from '../api/status.js';
import { forbiddenReason, type AuthorizationAttributes, type Authorizer } from '../authorizer/authorizer.js';
import { SYSTEM_MASTERS, type UserInfo } from '../authorizer/user.js';
import type { PolicyRule } from './types.js';
import { aggregateErrors, type RbacPolicy } from './policy.js';
import { ruleAllows } from './rule-matching.js';

export interface Decision {
  allowed: boolean;
  /** "RBAC: allowed by ..." when allowed; the resolution errors ("RBAC: ...") when denied. */
  reason: string;
}

export function decide(policy: RbacPolicy, a: AuthorizationAttributes): Decision {
  if (a.user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
  let allowedBy: string | undefined;
  const errors: string[] = [];
  policy.visitRulesFor(a.user, a.namespace, (source, rule, err) => {
    if (rule && ruleAllows(a, rule)) {
      allowedBy = `RBAC: allowed by ${source!()}`;
      return false;
    }
    if (err !== undefined) errors.push(err);
    return true;
  });
  if (allowedBy) return { allowed: true, reason: allowedBy };
  return { allowed: false, reason: errors.length ? `RBAC: ${aggregateErrors(errors)}` : '' };
}

/** The Forbidden error the apiserver answers a denied request with. */
export function forbiddenFor(a: AuthorizationAttributes, reason: string) {
  const msg = forbiddenReason(a);
  return forbidden({ group: a.apiGroup, resource: a.resource }, a.name, reason ? `${msg}: ${reason}` : msg);
}

export class RbacAuthorizer implements Authorizer {
  constructor(private readonly policyOf: (tenant: string) => Promise<RbacPolicy>) {}

  async decide(tenant: string, a: AuthorizationAttributes): Promise<Decision> {
    if (a.user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
    return decide(await this.policyOf(tenant), a);
  }

  /** Rules of `user` in `namespace` (SelfSubjectRulesReview); errors make the answer incomplete. */
  async rulesFor(
    tenant: string,
    user: UserInfo,
    namespace: string,
  ): Promise<{ rules: PolicyRule[]; errors: string[] }> {
    return (await this.policyOf(tenant)).rulesFor(user, namespace);
  }

  async authorize(tenant: string, a: AuthorizationAttributes): Promise<void> {
    const d = await this.decide(tenant, a);
    if (!d.allowed) throw forbiddenFor(a, d.reason);
  }
}
