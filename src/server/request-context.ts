// The one context a tenant request carries through the pipeline (src/server/pipeline.ts), as
// k8s.io/apiserver's request context and kcp's WithClusterScope: each stage puts its result here
// and later stages read it, never the raw request again. The URL is parsed once, here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestInfo } from '../api/request-info.js';
import type { UserInfo } from '../authorizer/user.js';
import type { Credentials } from '../auth/credentials.js';
import { credentialsOf } from '../auth/credentials.js';
import type { Logger } from '../log/logger.js';
import type { TenantName } from '../tenancy/tenant-name.js';

/** The tenant a request is for: its validated name and the UID of the live Tenant of that name. */
export interface TenantRef {
  name: TenantName;
  uid: string;
}

export class RequestContext {
  /** What the client presents to prove who it is (the authentication stage judges it). */
  readonly credentials: Credentials;
  /** Set by the authentication stage: who is asking. */
  requestor?: UserInfo;
  /** Set by the impersonation stage: who the request acts as (the requestor unless impersonating). */
  user?: UserInfo;
  /** Set by the request-info stage: verb and coordinates. */
  info?: RequestInfo;
  /** `Warning` texts stages add before the handler; the handler sends them with its own. */
  readonly warnings: string[] = [];
  /** Set by the route stage for host-backed rows: kplex's own failures there name host things. */
  hostBacked = false;
  /** Set by the route stage when the resource is a row of the tenant's table (metrics label only those). */
  routed = false;
  private logger?: Logger;
  private parsedQuery?: URLSearchParams;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly tenant: TenantRef,
    /** The request path below the tenant prefix. */
    readonly path: string,
    private readonly baseLogger: Logger,
  ) {
    this.credentials = credentialsOf(req);
  }

  /** The query of the URL, parsed once (on first use, inside the pipeline: a malformed URL is its error). */
  get query(): URLSearchParams {
    this.parsedQuery ??= new URL(this.req.url ?? '/', 'http://x').searchParams;
    return this.parsedQuery;
  }

  /** What precedes `path` in the request's URL (`/clusters/<tenant>`, or nothing for a pod's token): links kplex writes back keep it. */
  get prefix(): string {
    const pathname = (this.req.url ?? '').split('?')[0] ?? '';
    return pathname.endsWith(this.path) ? pathname.slice(0, pathname.length - this.path.length) : '';
  }

  /** A child logger naming tenant, user, verb and resource (made on first use: most requests log nothing). */
  get log(): Logger {
    this.logger ??= this.baseLogger.child({
      tenant: this.tenant.name,
      ...(this.user ? { user: this.user.username } : {}),
      ...(this.info ? { verb: this.info.verb, resource: this.info.resource || this.info.path } : {}),
    });
    return this.logger;
  }
}

/** The context once authentication and request parsing are done. */
export type AuthenticatedContext = RequestContext & {
  requestor: UserInfo;
  user: UserInfo;
  info: RequestInfo;
};
