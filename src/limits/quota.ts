// Refusals of the tenant limits, worded as the apiserver words them: the ResourceQuota admission
// plugin's 403 "exceeded quota" for stored objects and bytes, API Priority and Fairness' 429 with
// Retry-After for concurrency.
import { type GroupResource, type StatusError, forbidden, tooManyRequests } from '../api/status.js';

/** The name quota errors give: kplex's limits behave as one ResourceQuota per tenant. */
export const QUOTA_NAME = 'kplex-tenant-limits';

/** Quota resource names of the store limits. */
export const QUOTA_RESOURCES = {
  objects: 'count/objects',
  storeBytes: 'kplex.io/store-bytes',
  namespaces: 'count/namespaces',
} as const;

export type Usage = Record<string, number | string>;

/** prettyPrint of the resourcequota plugin: `name=value` pairs sorted by name, comma-joined. */
function prettyPrint(u: Usage): string {
  return Object.keys(u)
    .sort()
    .map((k) => `${k}=${u[k]}`)
    .join(',');
}

/** 403 Forbidden as admission.NewForbidden(attrs, "exceeded quota: ...") for the exceeded resources. */
export function exceededQuota(
  gr: GroupResource,
  name: string,
  requested: Usage,
  used: Usage,
  limited: Usage,
  quotaName = QUOTA_NAME,
): StatusError {
  return forbidden(
    gr,
    name,
    `exceeded quota: ${quotaName}, requested: ${prettyPrint(requested)}, used: ${prettyPrint(used)}, limited: ${prettyPrint(limited)}`,
  );
}

/** The apiserver's answer when a flow's queue is full or its wait ran out (the text of its 429). */
export const tooManyRequestsMessage = 'Too many requests, please try again later.';

export function rejected(retryAfterSeconds = 1): StatusError {
  return tooManyRequests(tooManyRequestsMessage, retryAfterSeconds);
}

/** A limit of concurrent long-running requests (no APF counterpart: kplex's own limit, same answer). */
export function tooManyWatches(what: string, limit: number): StatusError {
  return tooManyRequests(
    `too many concurrent ${what} for this tenant (limit ${limit}), please try again later`,
    1,
  );
}
