// Where the token signing keys live so that every kplex replica signs and verifies with the
// same set: a host Secret (kplex-system/kplex-token-signing-keys), or the data dir when kplex
// runs without a host (unit tests). Rotation adds a key that signs from then on; older keys stay
// trusted until pruned, so tokens already issued keep working (no downtime).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { HostClient } from '../hostapi/host-client.js';

/** The JWS algorithm of kplex's signing keys (ES256 key pairs). */
export const TOKEN_ALG = 'ES256';

export interface StoredKey {
  kid: string;
  private: JWK;
  public: JWK;
  created: string;
}
export interface StoredKeys {
  keys: StoredKey[];
}

export const KEYS_NAMESPACE = 'kplex-system';

/** Creates the host namespace kplex keeps its key Secrets in, unless it exists. */
export async function ensureKeysNamespace(host: HostClient): Promise<void> {
  const ns = await host.request('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: KEYS_NAMESPACE },
  });
  if (ns.status !== 201 && ns.status !== 409)
    throw new Error(`creating namespace ${KEYS_NAMESPACE}: host answered ${ns.status}`);
}
export const KEYS_SECRET = 'kplex-token-signing-keys';
const DATA_KEY = 'keys.json';

export async function newStoredKey(): Promise<StoredKey> {
  const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALG, { extractable: true });
  return {
    kid: randomUUID(),
    private: await exportJWK(privateKey),
    public: await exportJWK(publicKey),
    created: new Date().toISOString(),
  };
}

export interface KeyStore {
  /** Reads the keys, creating the first one when there is none. */
  load(): Promise<StoredKeys>;
  /** Applies `change` to the current keys atomically (retried on concurrent writers). */
  modify(change: (k: StoredKeys) => Promise<StoredKeys>): Promise<StoredKeys>;
}

export class FileKeyStore implements KeyStore {
  constructor(private readonly dataDir: string) {}
  private get file(): string {
    return path.join(this.dataDir, 'keys', 'token-signing.json');
  }
  async load(): Promise<StoredKeys> {
    if (!existsSync(this.file)) {
      mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      try {
        writeFileSync(this.file, JSON.stringify({ keys: [await newStoredKey()] }, null, 2), {
          mode: 0o600,
          flag: 'wx',
        });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    return JSON.parse(readFileSync(this.file, 'utf8')) as StoredKeys;
  }
  async modify(change: (k: StoredKeys) => Promise<StoredKeys>): Promise<StoredKeys> {
    const next = await change(await this.load());
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(next, null, 2), { mode: 0o600 });
    renameSync(tmp, this.file);
    return next;
  }
}

interface SecretShape {
  metadata?: { resourceVersion?: string };
  data?: Record<string, string>;
}

export class HostSecretKeyStore implements KeyStore {
  constructor(
    private readonly host: HostClient,
    /** Keys of an older data-dir install, adopted when the Secret does not exist yet. */
    private readonly seed?: FileKeyStore,
  ) {}

  private path(name = ''): string {
    return `/api/v1/namespaces/${KEYS_NAMESPACE}/secrets${name ? `/${name}` : ''}`;
  }

  private async read(): Promise<{ keys: StoredKeys; rv: string } | undefined> {
    const res = await this.host.request<SecretShape>('GET', this.path(KEYS_SECRET));
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`reading the signing keys Secret: host answered ${res.status}`);
    const raw = res.body.data?.[DATA_KEY];
    if (!raw) throw new Error(`Secret ${KEYS_NAMESPACE}/${KEYS_SECRET} has no ${DATA_KEY}`);
    return {
      keys: JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as StoredKeys,
      rv: res.body.metadata?.resourceVersion ?? '',
    };
  }

  private secret(keys: StoredKeys, rv?: string): unknown {
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: KEYS_SECRET,
        namespace: KEYS_NAMESPACE,
        labels: { 'app.kubernetes.io/managed-by': 'kplex' },
        ...(rv ? { resourceVersion: rv } : {}),
      },
      type: 'Opaque',
      data: { [DATA_KEY]: Buffer.from(JSON.stringify(keys)).toString('base64') },
    };
  }

  async load(): Promise<StoredKeys> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await this.read();
      if (cur) return cur.keys;
      await ensureKeysNamespace(this.host);
      const initial = this.seed ? await this.seed.load() : { keys: [await newStoredKey()] };
      const res = await this.host.request('POST', this.path(), this.secret(initial));
      if (res.status === 201) return initial;
      if (res.status !== 409)
        throw new Error(`creating the signing keys Secret: host answered ${res.status}`);
      // another replica created it first: read theirs
    }
    throw new Error('the signing keys Secret could not be read or created');
  }

  async modify(change: (k: StoredKeys) => Promise<StoredKeys>): Promise<StoredKeys> {
    for (let attempt = 0; attempt < 5; attempt++) {
      await this.load();
      const cur = (await this.read())!;
      const next = await change(cur.keys);
      const res = await this.host.request('PUT', this.path(KEYS_SECRET), this.secret(next, cur.rv));
      if (res.status === 200) return next;
      if (res.status !== 409)
        throw new Error(`updating the signing keys Secret: host answered ${res.status}`);
    }
    throw new Error('the signing keys Secret kept changing; try again');
  }
}

/** Adds a new signing key (it signs from now on) and keeps the newest `keep` keys trusted. */
export async function rotateKeys(store: KeyStore, keep = 3): Promise<StoredKeys> {
  const fresh = await newStoredKey();
  return store.modify(async (k) => ({ keys: [...k.keys, fresh].slice(-Math.max(1, keep)) }));
}
