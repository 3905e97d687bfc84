// Where each tenant's client-certificate CA lives so that every kplex replica trusts the same
// one: a host Secret per tenant (kplex-system/kplex-client-ca-<tenant uid>), or the data dir when
// kplex runs without a host (unit tests, a single replica). The CA is created on first need
// (`kplex kubeconfig --client-cert`); the server only reads it. It is keyed by the Tenant's UID,
// never its name: a new tenant of a deleted tenant's name has a CA of its own, so the old
// tenant's certificates prove nothing there.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HostClient } from '../hostapi/host-client.js';
import { createCA, type KeyPairPem } from '../pki/certs.js';
import { KEYS_NAMESPACE, ensureKeysNamespace } from './key-store.js';
import type { TenantRef } from './tokens.js';

export interface ClientCAStore {
  /** The CA of the tenant with this UID, or undefined when none was created yet. */
  get(uid: string): Promise<KeyPairPem | undefined>;
  /** The tenant's CA, created when there is none (concurrent creators agree on one). */
  getOrCreate(tenant: TenantRef): Promise<KeyPairPem>;
  /** Forgets the tenant's CA (a deleted tenant's certificates must not outlive it). */
  remove(uid: string): Promise<void>;
}

/** The CN of a tenant's CA: what a client certificate's issuer must read before any lookup. */
export const clientCACommonName = (uid: string): string => `kplex-client-ca-${uid}`;
export const clientCASecretName = (uid: string): string => `kplex-client-ca-${uid}`;
const CERT_KEY = 'ca.crt';
const KEY_KEY = 'ca.key';
const UID = /^[0-9a-z-]{1,63}$/;

function checkUid(uid: string): string {
  if (!UID.test(uid)) throw new Error(`invalid tenant uid "${uid}"`);
  return uid;
}

const newTenantCA = async (uid: string): Promise<KeyPairPem> => {
  const ca = await createCA(clientCACommonName(uid));
  return { cert: ca.cert, key: ca.key };
};

export class FileClientCAStore implements ClientCAStore {
  constructor(private readonly dataDir: string) {}
  private file(uid: string): string {
    return path.join(this.dataDir, 'keys', 'client-ca', `${checkUid(uid)}.json`);
  }
  async get(uid: string): Promise<KeyPairPem | undefined> {
    const file = this.file(uid);
    if (!existsSync(file)) return undefined;
    return JSON.parse(readFileSync(file, 'utf8')) as KeyPairPem;
  }
  async getOrCreate(tenant: TenantRef): Promise<KeyPairPem> {
    const file = this.file(tenant.tenantUid);
    if (!existsSync(file)) {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      try {
        writeFileSync(file, JSON.stringify(await newTenantCA(tenant.tenantUid), null, 2), {
          mode: 0o600,
          flag: 'wx',
        });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    return (await this.get(tenant.tenantUid))!;
  }
  async remove(uid: string): Promise<void> {
    rmSync(this.file(uid), { force: true });
  }
}

interface SecretShape {
  data?: Record<string, string>;
}

export class HostSecretClientCAStore implements ClientCAStore {
  constructor(private readonly host: HostClient) {}

  private path(name = ''): string {
    return `/api/v1/namespaces/${KEYS_NAMESPACE}/secrets${name ? `/${name}` : ''}`;
  }

  async get(uid: string): Promise<KeyPairPem | undefined> {
    const res = await this.host.request<SecretShape>('GET', this.path(clientCASecretName(checkUid(uid))));
    if (res.status === 404) return undefined;
    if (res.status !== 200)
      throw new Error(`reading the client CA of tenant ${uid}: host answered ${res.status}`);
    const cert = res.body.data?.[CERT_KEY];
    const key = res.body.data?.[KEY_KEY];
    if (!cert || !key)
      throw new Error(`Secret ${KEYS_NAMESPACE}/${clientCASecretName(uid)} lacks ${CERT_KEY} or ${KEY_KEY}`);
    return {
      cert: Buffer.from(cert, 'base64').toString('utf8'),
      key: Buffer.from(key, 'base64').toString('utf8'),
    };
  }

  async getOrCreate(tenant: TenantRef): Promise<KeyPairPem> {
    const uid = checkUid(tenant.tenantUid);
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await this.get(uid);
      if (cur) return cur;
      await ensureKeysNamespace(this.host);
      const ca = await newTenantCA(uid);
      const res = await this.host.request('POST', this.path(), {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: clientCASecretName(uid),
          namespace: KEYS_NAMESPACE,
          labels: {
            'app.kubernetes.io/managed-by': 'kplex',
            'kplex.io/tenant': tenant.tenant,
            'kplex.io/tenant-uid': uid,
          },
        },
        type: 'Opaque',
        data: {
          [CERT_KEY]: Buffer.from(ca.cert).toString('base64'),
          [KEY_KEY]: Buffer.from(ca.key).toString('base64'),
        },
      });
      if (res.status === 201) return ca;
      if (res.status !== 409)
        throw new Error(`creating the client CA of tenant ${tenant.tenant}: host answered ${res.status}`);
      // another replica or CLI created it first: read theirs
    }
    throw new Error(`the client CA of tenant ${tenant.tenant} could not be read or created`);
  }

  async remove(uid: string): Promise<void> {
    const res = await this.host.request('DELETE', this.path(clientCASecretName(checkUid(uid))));
    if (res.status !== 200 && res.status !== 404)
      throw new Error(`deleting the client CA of tenant ${uid}: host answered ${res.status}`);
  }
}
