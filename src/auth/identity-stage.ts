// The identity part of the tenant request path after authentication: impersonation (authorized
// by the tenant's RBAC), the review APIs and ServiceAccount TokenRequests, which kplex answers
// itself.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestInfo } from '../api/request-info.js';
import { forbiddenFor } from '../rbac/rbac-authorizer.js';
import { impersonate } from './impersonation.js';
import { isReviewRequest, serveReview, type AccessDecider, type TokenReviewer } from './reviews.js';
import type { UserInfo } from '../authorizer/user.js';
import { isTokenRequest, type ServiceAccountIssuer } from './service-account-issuer.js';

export class IdentityStage {
  constructor(
    private readonly decider: AccessDecider,
    private readonly reviewToken?: TokenReviewer,
    private readonly serviceAccountIssuer?: ServiceAccountIssuer,
  ) {}

  /** The identity the request acts as (impersonated when asked and allowed). */
  impersonate(req: IncomingMessage, tenant: string, requestor: UserInfo): Promise<UserInfo> {
    return impersonate(req, requestor, async (a) => {
      const d = await this.decider.decide(tenant, a);
      if (!d.allowed) throw forbiddenFor(a, d.reason);
    });
  }

  /** Serves the request when it is a review; false when it is not one. */
  async serve(
    req: IncomingMessage,
    res: ServerResponse,
    tenant: string,
    info: RequestInfo,
    user: UserInfo,
  ): Promise<boolean> {
    if (isTokenRequest(info) && this.serviceAccountIssuer) {
      await this.serviceAccountIssuer.serveTokenRequest(req, res, tenant, info);
      return true;
    }
    if (!isReviewRequest(info)) return false;
    await serveReview(req, res, tenant, info, user, this.decider, this.reviewToken);
    return true;
  }
}
