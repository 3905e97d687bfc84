// kplex's token signing keys: ES256 key pairs with a `kid`, kept as JWKs in the data dir.
// Several keys may be trusted at once (rotation); the newest signs.
// Issue 6 moves them into a host Secret so that every replica shares them.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

type Key = Awaited<ReturnType<typeof importJWK>>;

export interface SigningKey {
  kid: string;
  privateKey: Key;
  publicKey: Key;
}

interface StoredKeys {
  keys: { kid: string; private: JWK; public: JWK; created: string }[];
}

export const TOKEN_ALG = 'ES256';

function keysFile(dataDir: string): string {
  return path.join(dataDir, 'keys', 'token-signing.json');
}

/** Loads the signing keys from the data dir, creating the first one when there is none. */
export async function loadOrCreateSigningKeys(dataDir: string): Promise<SigningKey[]> {
  const file = keysFile(dataDir);
  if (!existsSync(file)) {
    const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALG, { extractable: true });
    const kid = randomUUID();
    const stored: StoredKeys = {
      keys: [{ kid, private: await exportJWK(privateKey), public: await exportJWK(publicKey), created: new Date().toISOString() }],
    };
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600, flag: 'wx' });
  }
  const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredKeys;
  return Promise.all(
    stored.keys.map(async (k) => ({
      kid: k.kid,
      privateKey: await importJWK(k.private, TOKEN_ALG),
      publicKey: await importJWK(k.public, TOKEN_ALG),
    })),
  );
}
