// The identity part of the tenant request path after authentication: impersonation (authorized
// by the tenant's RBAC), and the resources kplex computes from identity alone — the review APIs and
// ServiceAccount TokenRequests — as computed resources the route stage serves by the table row.
import type { IncomingHttpHeaders } from 'node:http';
import type { ComputedResource } from '../handlers/computed.js';
import { forbiddenFor } from '../rbac/rbac-authorizer.js';
import type { Authenticator } from './authenticator.js';
import { impersonate } from './impersonation.js';
import { answerReview, checkReviewRequest, reviewType, type AccessDecider } from './reviews.js';
import { checkTokenRequest, TOKEN_REQUEST, type ServiceAccountIssuer } from './service-account-issuer.js';
import type { UserInfo } from '../authorizer/user.js';

export class IdentityStage {
  constructor(
    private readonly decider: AccessDecider,
    /** Authenticates the token of a TokenReview (in the tenant the review is made in). */
    private readonly authn?: Authenticator,
    private readonly serviceAccountIssuer?: ServiceAccountIssuer,
  ) {}

  /** The identity the request acts as (impersonated when asked and allowed). */
  impersonate(headers: IncomingHttpHeaders, tenant: string, requestor: UserInfo): Promise<UserInfo> {
    return impersonate({ headers }, requestor, async (a) => {
      const d = await this.decider.decide(tenant, a);
      if (!d.allowed) throw forbiddenFor(a, d.reason);
    });
  }

  /** The computed resources this stage answers, by the name table rows give them (`ResourceInfo.computed`). */
  computed(): Record<string, ComputedResource> {
    const { authn, decider, serviceAccountIssuer: issuer } = this;
    const out: Record<string, ComputedResource> = {
      review: {
        typeOf: reviewType,
        check: checkReviewRequest,
        objectsOnly: true,
        answer: (r, body) =>
          answerReview(r.tenant, r.info, r.user, body, decider, (tenant, token) =>
            authn ? authn.authenticate({ token }, tenant) : Promise.resolve(undefined),
          ),
      },
    };
    if (issuer)
      out['token-request'] = {
        typeOf: () => TOKEN_REQUEST,
        check: checkTokenRequest,
        objectsOnly: false,
        answer: (r, body) => issuer.answerTokenRequest(r.tenant, r.info, body),
      };
    return out;
  }
}
