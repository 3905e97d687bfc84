// Forwarding between sharded replicas: a replica passes a client's TLS certificate to the owner in
// a header, believed only on a connection that presents a replica certificate of kplex's peer CA.
// A tenant forging that header (with a copy of another user's certificate: certificates are not
// secret) or the forwarded-by header gains nothing, whichever replica it sends to.
import { request } from 'node:https';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject } from 'vitest';
import { createCA, issueCert } from '../../src/pki/certs.js';
import { apiClient } from '../helpers/api-client.js';
import { startShardedEnv, type ShardedEnv } from '../helpers/kplex-shards.js';
import { attack, expectStatus } from './harness.js';
import type { HostClient } from '../../src/hostapi/host-client.js';

interface Raw {
  status: number;
  body: string;
}

function raw(
  url: string,
  headers: Record<string, string>,
  tls: { cert?: string; key?: string } = {},
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false, headers, ...tls }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const field = (kubeconfig: string, name: string): string =>
  Buffer.from(new RegExp(`${name}: (\\S+)`).exec(readFileSync(kubeconfig, 'utf8'))![1]!, 'base64').toString();
const derB64 = (pem: string): string => new X509Certificate(pem).raw.toString('base64');
const whoami = '/apis/authentication.k8s.io/v1/selfsubjectreviews';

describe('sharding: forwarded identity', () => {
  const host = inject('host');
  let env: ShardedEnv;
  let hostApi: HostClient;
  /** tenant name by shard */
  const onShard: string[] = [];
  /** The tenant-0 admin's client certificate (PEM) and a token of tenant 1's admin. */
  let victimCert: string;
  let attackerToken: string;

  beforeAll(async () => {
    hostApi = await apiClient(host.kubeconfig);
    env = await startShardedEnv(host, 2);
    for (let i = 0; onShard.length < 2 || onShard.includes(undefined as never); i++) {
      if (i > 8) throw new Error('tenants were not spread over both shards');
      const name = `sec-shard-t${i}`;
      await env.tenant(name, 0);
      const t = (
        await hostApi.must<{ metadata: { labels?: Record<string, string> } }>(
          'GET',
          `/apis/kplex.io/v1alpha1/tenants/${name}`,
        )
      ).body;
      onShard[Number(t.metadata.labels?.['kplex.io/shard'])] ??= name;
    }
    victimCert = field(env.kubeconfig(onShard[0]!, 0, { clientCert: true }), 'client-certificate-data');
    attackerToken = /token: (\S+)/.exec(readFileSync(env.kubeconfig(onShard[1]!, 0), 'utf8'))![1]!;
  }, 120_000);
  afterAll(async () => {
    await env?.close();
    await hostApi?.close();
  });

  const url = (via: number, tenant: string, path: string): string =>
    `${env.replicas[via]!.kplex.url}/clusters/${tenant}${path}`;

  attack(
    'authn',
    "a copied certificate in the forwarding header, sent to the victim's owner: 401",
    async () => {
      const res = await raw(url(0, onShard[0]!, '/api/v1/namespaces'), {
        'kplex-forwarded-client-cert': derB64(victimCert),
      });
      expectStatus({ status: res.status, body: JSON.parse(res.body) }, 401, 'Unauthorized');
    },
  );

  attack(
    'authn',
    'a copied certificate in the forwarding header, sent to another replica (forwarded): 401',
    async () => {
      const res = await raw(url(1, onShard[0]!, '/api/v1/namespaces'), {
        'kplex-forwarded-client-cert': derB64(victimCert),
        'kplex-forwarded-by': 'it-replica-1',
      });
      expectStatus({ status: res.status, body: JSON.parse(res.body) }, 401, 'Unauthorized');
    },
  );

  attack(
    'authn',
    "another tenant's token with a forged forwarding header stays that tenant's user, refused here",
    async () => {
      for (const via of [0, 1]) {
        const res = await raw(url(via, onShard[0]!, '/api/v1/namespaces'), {
          authorization: `Bearer ${attackerToken}`,
          'kplex-forwarded-client-cert': derB64(victimCert),
        });
        expectStatus({ status: res.status, body: JSON.parse(res.body) }, 401, 'Unauthorized');
      }
    },
  );

  attack(
    'authn',
    'a self-made certificate named like a replica, with the forwarding header: 401',
    async () => {
      const ca = await createCA('kplex-peer-ca');
      const fake = await issueCert(ca, { commonName: 'kplex-replica:it-replica-1', client: true });
      for (const via of [0, 1]) {
        const res = await raw(
          url(via, onShard[0]!, '/api/v1/namespaces'),
          { 'kplex-forwarded-client-cert': derB64(victimCert), 'kplex-forwarded-by': 'it-replica-1' },
          fake,
        );
        expectStatus({ status: res.status, body: JSON.parse(res.body) }, 401, 'Unauthorized');
      }
    },
  );

  attack(
    'authn',
    "a tenant's forged forwarded-by header does not stop forwarding (no 503 by header)",
    async () => {
      const res = await raw(url(1, onShard[0]!, '/version'), {
        authorization: `Bearer ${/token: (\S+)/.exec(readFileSync(env.kubeconfig(onShard[0]!, 1), 'utf8'))![1]!}`,
        'kplex-forwarded-by': 'it-replica-0',
      });
      expect(res.status).toBe(200);
    },
  );

  attack(
    'authn',
    "a tenant's own certificate on the TLS connection wins over a forged header naming another user",
    async () => {
      // The attacker's own client certificate of its own tenant, plus a forged header with the victim's.
      const own = env.kubeconfig(onShard[1]!, 1, { clientCert: true });
      const tls = { cert: field(own, 'client-certificate-data'), key: field(own, 'client-key-data') };
      for (const via of [0, 1]) {
        const res = await raw(
          url(via, onShard[0]!, whoami),
          { 'kplex-forwarded-client-cert': derB64(victimCert) },
          tls,
        );
        expectStatus({ status: res.status, body: JSON.parse(res.body) }, 401, 'Unauthorized');
      }
    },
  );
  const tokenOf = (tenant: string, via: number): string =>
    /token: (\S+)/.exec(readFileSync(env.kubeconfig(tenant, via), 'utf8'))![1]!;

  attack(
    'leaks',
    "a tenant asking for the replicas' store-copy path gets 404 page not found, never its SQLite file",
    async () => {
      for (const via of [0, 1]) {
        const res = await raw(url(via, onShard[0]!, '/kplex-replica/store'), {
          authorization: `Bearer ${tokenOf(onShard[0]!, via)}`,
          'kplex-forwarded-by': 'it-replica-1',
        });
        // As the apiserver answers a path it does not serve.
        expect(res.status).toBe(404);
        expect(res.body).toBe('404 page not found\n');
      }
    },
  );

  attack(
    'leaks',
    'while a tenant moves, its store-copy path answers a tenant 503, on every replica',
    async () => {
      const name = onShard[0]!;
      const path = `/apis/kplex.io/v1alpha1/tenants/${name}`;
      // Moving "to its own shard": every replica refuses the tenant, and no replica pulls its store.
      const patched = await hostApi.request(
        'PATCH',
        path,
        { metadata: { annotations: { 'kplex.io/moving-to': '0' } } },
        'application/merge-patch+json',
      );
      expect(patched.status).toBe(200);
      try {
        for (const via of [0, 1]) {
          let res: Raw | undefined;
          for (let i = 0; i < 50; i++) {
            res = await raw(url(via, name, '/kplex-replica/store'), {
              authorization: `Bearer ${tokenOf(name, via)}`,
              'kplex-forwarded-by': 'it-replica-1',
            });
            if (res.status === 503) break;
            await new Promise((r) => setTimeout(r, 100));
          }
          expect(res!.body.startsWith('SQLite format')).toBe(false);
          expectStatus({ status: res!.status, body: JSON.parse(res!.body) }, 503, 'ServiceUnavailable');
        }
      } finally {
        await hostApi.request(
          'PATCH',
          path,
          { metadata: { annotations: { 'kplex.io/moving-to': null } } },
          'application/merge-patch+json',
        );
      }
    },
  );
});
