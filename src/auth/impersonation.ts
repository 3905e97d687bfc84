// Impersonation (kubectl --as, --as-group, --as-uid) as k8s.io/apiserver's WithImpersonation:
// every requested identity part is authorized with verb `impersonate` by the tenant's RBAC, and
// the request continues as the impersonated user.
import type { IncomingHttpHeaders } from 'node:http';
import { internalError } from '../api/status.js';
import type { AuthorizationAttributes } from '../authorizer/authorizer.js';
import { SYSTEM_AUTHENTICATED, type UserInfo } from '../authorizer/user.js';

const SA_PREFIX = 'system:serviceaccount:';
const ANONYMOUS = 'system:anonymous';
const UNAUTHENTICATED = 'system:unauthenticated';
const EXTRA_PREFIX = 'impersonate-extra-';

/** Allows or throws the apiserver's Forbidden for one `impersonate` check. */
export type ImpersonationCheck = (a: AuthorizationAttributes) => Promise<void>;

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

export function wantsImpersonation(req: { headers: IncomingHttpHeaders }): boolean {
  return Object.keys(req.headers).some(
    (h) =>
      h === 'impersonate-user' ||
      h === 'impersonate-group' ||
      h === 'impersonate-uid' ||
      h.startsWith(EXTRA_PREFIX),
  );
}

/** As the apiserver's unescapeExtraKey: a malformed escape is kept as written, never an error. */
function unescapeExtraKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

/** The impersonated identity, or the requestor when the request asks for none. */
export async function impersonate(
  req: { headers: IncomingHttpHeaders },
  requestor: UserInfo,
  check: ImpersonationCheck,
): Promise<UserInfo> {
  if (!wantsImpersonation(req)) return requestor;
  const userHeader = list(req.headers['impersonate-user'])[0] ?? '';
  const groupHeaders =
    req.headers['impersonate-group'] === undefined
      ? []
      : list(req.headers['impersonate-group']).flatMap((g) => g.split(',').map((x) => x.trim()));
  const uid = list(req.headers['impersonate-uid'])[0] ?? '';
  const extras = Object.entries(req.headers)
    .filter(([h]) => h.startsWith(EXTRA_PREFIX))
    .map(
      ([h, v]) =>
        [
          unescapeExtraKey(h.slice(EXTRA_PREFIX.length)),
          list(v).flatMap((x) => x.split(',').map((y) => y.trim())),
        ] as const,
    );
  if (!userHeader && (groupHeaders.length || extras.length || uid)) {
    const what = [...groupHeaders.map((g) => `Group=${g}`), ...(uid ? [`UID=${uid}`] : [])];
    throw internalError(new Error(`requested [${what.join(' ')}] without impersonating a user`));
  }
  const attrs = (
    resource: string,
    name: string,
    extra: Partial<AuthorizationAttributes> = {},
  ): AuthorizationAttributes => ({
    user: requestor,
    verb: 'impersonate',
    isResourceRequest: true,
    path: '',
    namespace: '',
    apiGroup: '',
    apiVersion: 'v1',
    resource,
    subresource: '',
    name,
    ...extra,
  });
  const username = userHeader;
  let groups: string[] = [];
  if (userHeader.startsWith(SA_PREFIX) && userHeader.slice(SA_PREFIX.length).split(':').length === 2) {
    const [ns, sa] = userHeader.slice(SA_PREFIX.length).split(':') as [string, string];
    await check(attrs('serviceaccounts', sa, { namespace: ns }));
    if (groupHeaders.length === 0) groups = ['system:serviceaccounts', `system:serviceaccounts:${ns}`];
  } else {
    await check(attrs('users', userHeader));
  }
  for (const g of groupHeaders) {
    await check(attrs('groups', g));
    groups.push(g);
  }
  const extra: Record<string, string[]> = {};
  for (const [k, values] of extras) {
    for (const v of values) {
      await check(attrs('userextras', v, { apiGroup: 'authentication.k8s.io', subresource: k }));
      (extra[k] ??= []).push(v);
    }
  }
  if (uid) await check(attrs('uids', uid, { apiGroup: 'authentication.k8s.io' }));
  if (username !== ANONYMOUS) {
    if (!groups.includes(SYSTEM_AUTHENTICATED) && !groups.includes(UNAUTHENTICATED))
      groups.push(SYSTEM_AUTHENTICATED);
  } else if (!groups.includes(UNAUTHENTICATED)) groups.push(UNAUTHENTICATED);
  return { username, groups, ...(uid ? { uid } : {}), ...(Object.keys(extra).length ? { extra } : {}) };
}
