// Signing keys: created once, rotated without distrusting older keys, shared by every store a
// KeyRing reads; tokens are bound to their tenant.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileKeyStore, rotateKeys } from '../../../src/auth/key-store.js';
import { KeyRing } from '../../../src/auth/signing-keys.js';
import { mintToken, verifyToken } from '../../../src/auth/tokens.js';

const T = { tenant: 't', tenantUid: '8d1f7a52-3a0e-4c57-9d3b-0c0f2b1e7a11' };
const dirs: string[] = [];
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'kplex-keys-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('signing keys', () => {
  it('creates one key once and keeps it', async () => {
    const store = new FileKeyStore(dir());
    const a = await store.load();
    const b = await store.load();
    expect(a.keys).toHaveLength(1);
    expect(b.keys[0]!.kid).toBe(a.keys[0]!.kid);
  });

  it('rotates: the new key signs, older tokens stay valid, the oldest beyond --keep are dropped', async () => {
    const store = new FileKeyStore(dir());
    const ring = await new KeyRing([store]).start(60_000);
    const old = await mintToken(ring.signer(), { ...T, user: 'u', groups: ['g'] });
    await rotateKeys(store, 2);
    await ring.reload();
    const fresh = await mintToken(ring.signer(), { ...T, user: 'v', groups: [] });
    expect((await verifyToken(ring.keys(), old, T))?.username).toBe('u');
    expect(await verifyToken(ring.keys(), fresh, T)).toEqual({
      username: 'v',
      groups: ['system:authenticated'],
    });
    expect(
      await verifyToken(ring.keys(), fresh, { tenant: 'other', tenantUid: T.tenantUid }),
    ).toBeUndefined();
    await rotateKeys(store, 2);
    await ring.reload();
    expect(await verifyToken(ring.keys(), old, T)).toBeUndefined();
    expect((await verifyToken(ring.keys(), fresh, T))?.username).toBe('v');
    ring.stop();
  });

  it('trusts the keys of every store, signing with the first store only', async () => {
    const shared = new FileKeyStore(dir());
    const local = new FileKeyStore(dir());
    const ring = await new KeyRing([shared, local]).start(60_000);
    const localKid = (await local.load()).keys[0]!.kid;
    expect(ring.keys().map((k) => k.kid)).toContain(localKid);
    expect(ring.signer().kid).toBe((await shared.load()).keys[0]!.kid);
    ring.stop();
  });
});

describe('KeyRing with an unreachable store', () => {
  it('goes on with the stores it can read, and says which failed', async () => {
    const local = new FileKeyStore(dir());
    const broken = {
      load: () => Promise.reject(new Error('forbidden')),
      modify: () => Promise.reject(new Error('forbidden')),
    };
    const ring = new KeyRing([broken, local]);
    const errors: unknown[] = [];
    ring.onStoreError = (e) => errors.push(e);
    await ring.reload();
    expect(ring.keys().map((k) => k.kid)).toEqual([(await local.load()).keys[0]!.kid]);
    expect(String(errors[0])).toContain('forbidden');
    await expect(new KeyRing([broken]).reload()).rejects.toThrow('forbidden');
  });
});
