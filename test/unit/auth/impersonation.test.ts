// Impersonation headers as the apiserver's filter reads them: what is checked, in which order,
// and the identity the request continues as.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { AuthorizationAttributes } from '../../../src/authorizer/authorizer.js';
import { impersonate } from '../../../src/auth/impersonation.js';

const req = (headers: Record<string, string | string[]>) => ({ headers }) as unknown as IncomingMessage;
const alice = { username: 'alice', groups: ['system:authenticated'] };

async function run(
  headers: Record<string, string | string[]>,
  deny?: (a: AuthorizationAttributes) => boolean,
) {
  const checks: string[] = [];
  const user = await impersonate(req(headers), alice, async (a) => {
    checks.push(
      `${a.verb} ${a.apiGroup}/${a.resource}${a.subresource ? `/${a.subresource}` : ''} ${a.namespace}/${a.name}`,
    );
    if (deny?.(a)) throw new Error(`denied ${a.resource}`);
  });
  return { user, checks };
}

describe('impersonation', () => {
  it('leaves a request without headers as it is', async () => {
    expect((await run({})).user).toBe(alice);
  });

  it('checks user, groups, extras and uid, and adds system:authenticated', async () => {
    const { user, checks } = await run({
      'impersonate-user': 'bob',
      'impersonate-group': ['g1', 'g2'],
      'impersonate-uid': 'u-1',
      'impersonate-extra-scopes': 'a,b',
    });
    expect(checks).toEqual([
      'impersonate /users /bob',
      'impersonate /groups /g1',
      'impersonate /groups /g2',
      'impersonate authentication.k8s.io/userextras/scopes /a',
      'impersonate authentication.k8s.io/userextras/scopes /b',
      'impersonate authentication.k8s.io/uids /u-1',
    ]);
    expect(user).toEqual({
      username: 'bob',
      groups: ['g1', 'g2', 'system:authenticated'],
      uid: 'u-1',
      extra: { scopes: ['a', 'b'] },
    });
  });

  it('impersonates a service account in its namespace, with its groups', async () => {
    const { user, checks } = await run({ 'impersonate-user': 'system:serviceaccount:app:default' });
    expect(checks).toEqual(['impersonate /serviceaccounts app/default']);
    expect(user.groups).toEqual([
      'system:serviceaccounts',
      'system:serviceaccounts:app',
      'system:authenticated',
    ]);
  });

  it('refuses groups without a user, and stops at the first denied part', async () => {
    await expect(run({ 'impersonate-group': 'g1' })).rejects.toThrow(
      'requested [Group=g1] without impersonating a user',
    );
    await expect(
      run({ 'impersonate-user': 'bob', 'impersonate-group': 'g1' }, (a) => a.resource === 'groups'),
    ).rejects.toThrow('denied groups');
  });

  it('decodes percent-escaped extra keys and keeps a malformed one as written (unescapeExtraKey)', async () => {
    const { user, checks } = await run({
      'impersonate-user': 'bob',
      'impersonate-extra-example.com%2fscopes': 'a',
      'impersonate-extra-%zz': 'b',
    });
    expect(checks).toContain('impersonate authentication.k8s.io/userextras/example.com/scopes /a');
    expect(checks).toContain('impersonate authentication.k8s.io/userextras/%zz /b');
    expect(user.extra).toEqual({ 'example.com/scopes': ['a'], '%zz': ['b'] });
  });
});
