// The tenant tag of host class names is computed once per tenant and stays what its hash says.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tenantTag } from '../../../src/syncer/class-names.js';

const sha = (uid: string): string =>
  createHash('sha256').update(`kplex-classes\0${uid}`).digest('hex').slice(0, 12);

describe('tenantTag', () => {
  it('is the hash of the tenant UID, the same on every call, one per tenant', () => {
    for (let i = 0; i < 3; i++) {
      expect(tenantTag('uid-a')).toBe(sha('uid-a'));
      expect(tenantTag('uid-b')).toBe(sha('uid-b'));
    }
    expect(tenantTag('uid-a')).not.toBe(tenantTag('uid-b'));
    expect(tenantTag('name:acme')).toBe(sha('name:acme'));
  });
});
