// A host refusal names the user kplex acts as on the host; the tenant sees its own user instead.
import { describe, expect, it } from 'vitest';
import { refusalAsRequester } from '../../../src/rewrite/object-rewrite.js';

describe('refusalAsRequester', () => {
  it("puts the requester's name where the host named kplex's host user", () => {
    expect(
      refusalAsRequester(
        'configmaps is forbidden: User "system:serviceaccount:kplex-system:kplex" cannot list resource "configmaps" in API group "" in the namespace "shop"',
        'alice',
      ),
    ).toBe(
      'configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "shop"',
    );
  });

  it('quotes the requester as Go does and leaves other texts alone', () => {
    expect(refusalAsRequester('x: User "kubernetes-admin" cannot get resource', 'o"brien')).toBe(
      'x: User "o\\"brien" cannot get resource',
    );
    expect(refusalAsRequester('admission webhook "v" denied the request: User must set a label', 'bob')).toBe(
      'admission webhook "v" denied the request: User must set a label',
    );
  });
});
