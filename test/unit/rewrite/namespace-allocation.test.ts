// Host namespace names: readable first, then one hashed with the tenant UID, then random; labels
// carry the UID, so a deleted tenant's namespace is never adopted by a new tenant of its name.
import { describe, expect, it } from 'vitest';
import {
  hostNamespaceCandidates,
  hostNamespaceLabels,
  isOurHostNamespace,
  unownedName,
} from '../../../src/rewrite/namespace-translator.js';
import { validTenantName } from '../../../src/tenancy/tenant-name.js';

const A = { name: 'a', uid: 'aaaaaaaa-0000-4000-8000-000000000001' };

describe('host namespace candidates', () => {
  it('start readable, then a UID hash, then random names nobody can predict', () => {
    const c1 = hostNamespaceCandidates(A, 'b-c');
    const c2 = hostNamespaceCandidates(A, 'b-c');
    expect(c1[0]).toBe('a-b-c');
    expect(c1[1]).toBe(c2[1]);
    expect(c1.slice(2)).not.toEqual(c2.slice(2));
    expect(new Set(c1).size).toBe(c1.length);
    expect(hostNamespaceCandidates({ ...A, uid: 'other' }, 'b-c')[1]).not.toBe(c1[1]);
    for (const n of [...c1, ...hostNamespaceCandidates(A, 'x'.repeat(63))])
      expect(n).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });

  it('never collide with kplex placeholders (no tenant may start with kplex-)', () => {
    const placeholder = unownedName('victim', 'nope');
    expect(placeholder.startsWith('kplex-')).toBe(true);
    const tenant = placeholder.slice(0, placeholder.indexOf('-', 6)); // e.g. 'kplex-none'
    expect(validTenantName(tenant)).toBe(false);
    expect(validTenantName('kplex')).toBe(false);
  });
});

describe('ownership', () => {
  it('requires the tenant UID: a same-named tenant does not own the old namespace', () => {
    const ns = { metadata: { labels: hostNamespaceLabels(A, 'app') } };
    expect(isOurHostNamespace(ns, A, 'app')).toBe(true);
    expect(isOurHostNamespace(ns, { ...A, uid: 'new-uid' }, 'app')).toBe(false);
    expect(isOurHostNamespace(ns, A, 'other')).toBe(false);
    const legacy = {
      metadata: {
        labels: {
          'kplex.io/tenant': 'a',
          'kplex.io/namespace': 'app',
          'app.kubernetes.io/managed-by': 'kplex',
        },
      },
    };
    expect(isOurHostNamespace(legacy, A, 'app')).toBe(false);
  });
});
