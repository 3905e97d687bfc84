// kplex's token signing keys: ES256 key pairs with a `kid`. Several keys are trusted at once
// (rotation); the newest signs. They are kept in a KeyStore (key-store.ts): a host Secret that
// every replica reads, or the data dir. A KeyRing reloads them periodically, so a rotation done
// by any replica or by `kplex keys rotate` is picked up without a restart.
import { importJWK } from 'jose';
import { FileKeyStore, TOKEN_ALG, type KeyStore, type StoredKeys } from './key-store.js';

type Key = Awaited<ReturnType<typeof importJWK>>;

export interface SigningKey {
  kid: string;
  privateKey: Key;
  publicKey: Key;
}

export async function importKeys(stored: StoredKeys): Promise<SigningKey[]> {
  return Promise.all(
    stored.keys.map(async (k) => ({
      kid: k.kid,
      privateKey: await importJWK(k.private, TOKEN_ALG),
      publicKey: await importJWK(k.public, TOKEN_ALG),
    })),
  );
}

/** Loads the signing keys from the data dir, creating the first one when there is none. */
export async function loadOrCreateSigningKeys(dataDir: string): Promise<SigningKey[]> {
  return importKeys(await new FileKeyStore(dataDir).load());
}

/** The trusted keys of a running kplex, refreshed from their store. */
export class KeyRing {
  private current: SigningKey[] = [];
  private timer?: NodeJS.Timeout;

  /** Keys of every store are trusted (by kid); the first store's newest key signs. */
  constructor(private readonly stores: KeyStore[]) {}

  async start(refreshMs = 30_000, onError?: (err: unknown) => void): Promise<this> {
    await this.reload();
    this.timer = setInterval(() => void this.reload().catch((err: unknown) => onError?.(err)), refreshMs);
    this.timer.unref();
    return this;
  }

  async reload(): Promise<void> {
    const seen = new Set<string>();
    const all: StoredKeys = { keys: [] };
    const errors: unknown[] = [];
    for (const [i, store] of this.stores.entries()) {
      let loaded: StoredKeys;
      try {
        loaded = await store.load();
      } catch (err) {
        // One unreachable store (e.g. no RBAC for the host Secret) leaves the others trusted.
        errors.push(err);
        continue;
      }
      for (const k of loaded.keys) {
        if (seen.has(k.kid)) continue;
        seen.add(k.kid);
        // Only the first store's keys may sign: they end the list.
        if (i === 0) all.keys.push(k);
        else all.keys.unshift(k);
      }
    }
    if (errors.length === this.stores.length) throw errors[0];
    this.current = await importKeys(all);
    for (const err of errors) this.onStoreError?.(err);
  }

  /** Told when one store could not be read (the ring goes on with the others). */
  onStoreError?: (err: unknown) => void;

  keys(): SigningKey[] {
    return this.current;
  }

  /** The key that signs new tokens (the newest). */
  signer(): SigningKey {
    const k = this.current[this.current.length - 1];
    if (!k) throw new Error('no signing key');
    return k;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
