import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { hostKubeconfigOption } from './host-option.js';
import { importKeys } from '../auth/signing-keys.js';
import { withKeyStore } from './keys.js';
import { DEFAULT_TOKEN_TTL_SECONDS, mintToken, type TenantRef } from '../auth/tokens.js';
import { FileClientCAStore, HostSecretClientCAStore } from '../auth/client-ca-store.js';
import { HostClient } from '../hostapi/host-client.js';
import { loadHostConnection } from '../hostapi/host-config.js';
import { issueCert, loadCA } from '../pki/certs.js';
import { TENANTS_PATH } from '../tenancy/tenant-crd.js';
import { tenantNameErrors } from '../tenancy/tenant-name.js';

const collect = (v: string, acc: string[]): string[] => [...acc, v];

/** Parses durations like 30s, 15m, 24h, 7d. */
export function parseDuration(v: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(v.trim());
  if (!m) throw new Error(`invalid duration "${v}" (examples: 3600s, 60m, 24h, 30d)`);
  const n = Number(m[1]);
  return n * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[2] ?? '']!;
}

/** Longest credential `kplex kubeconfig` issues: a leaked token or certificate stops working. */
const MAX_TTL_SECONDS = 366 * 86400;

/**
 * The UID of the live Tenant `tenant`: credentials name it, so they die with the tenant and never
 * work for a later tenant of the same name.
 */
async function tenantRef(
  tenant: string,
  o: { hostKubeconfig?: string; tenantUid?: string },
): Promise<TenantRef> {
  if (o.tenantUid) return { tenant, tenantUid: o.tenantUid };
  const host = new HostClient(await loadHostConnection(o.hostKubeconfig));
  try {
    const res = await host.request<{ metadata?: { uid?: string; deletionTimestamp?: string } }>(
      'GET',
      `${TENANTS_PATH}/${tenant}`,
    );
    if (res.status === 404) throw new Error(`tenant "${tenant}" not found`);
    if (res.status !== 200 || !res.body.metadata?.uid)
      throw new Error(`reading tenant "${tenant}": host answered ${res.status}`);
    if (res.body.metadata.deletionTimestamp) throw new Error(`tenant "${tenant}" is being deleted`);
    return { tenant, tenantUid: res.body.metadata.uid };
  } finally {
    await host.close();
  }
}

export function kubeconfigCommand(): Command {
  return new Command('kubeconfig')
    .description('print a kubeconfig for a tenant, with a kplex-signed token or client certificate')
    .argument('<tenant>')
    .option('--user <name>', 'user name in the token', 'admin')
    .option(
      '--group <group>',
      'group of the user (repeatable; none by default: grant access with RBAC in the tenant, or --group system:masters for a tenant admin)',
      collect,
      [] as string[],
    )
    .option(
      '--ttl <duration>',
      `lifetime of the token or certificate, e.g. 1h, 24h, 30d (default ${DEFAULT_TOKEN_TTL_SECONDS / 3600}h; at most 366d)`,
    )
    .option(
      '--client-cert',
      "a client certificate (CN=user, O=groups) signed by the tenant's CA instead of a token",
    )
    .addOption(
      new Option('--server <url>', 'kplex base URL').env('KPLEX_SERVER').default('https://127.0.0.1:9443'),
    )
    .addOption(
      new Option('--data-dir <dir>', 'kplex data dir (signing keys and serving CA)')
        .env('KPLEX_DATA_DIR')
        .default(path.join('.kplex', 'data')),
    )
    .addOption(
      hostKubeconfigOption(
        'host cluster: the Tenant is read there; when given, the token is signed with the keys of the host Secret every replica shares (instead of the data dir)',
      ),
    )
    .option(
      '--tenant-uid <uid>',
      "the Tenant's metadata.uid, instead of reading the Tenant from the host (credentials name it)",
    )
    .action(
      async (
        tenant: string,
        o: {
          user: string;
          group: string[];
          ttl?: string;
          server: string;
          dataDir: string;
          hostKubeconfig?: string;
          tenantUid?: string;
          clientCert?: boolean;
        },
      ) => {
        const errs = tenantNameErrors(tenant);
        if (errs.length) throw new Error(`invalid tenant name "${tenant}": ${errs.join('; ')}`);
        const ttlSeconds = o.ttl === undefined ? DEFAULT_TOKEN_TTL_SECONDS : parseDuration(o.ttl);
        if (ttlSeconds <= 0 || ttlSeconds > MAX_TTL_SECONDS)
          throw new Error(
            `--ttl must be between 1s and ${MAX_TTL_SECONDS / 86400}d: every credential expires`,
          );
        const ref = await tenantRef(tenant, o);
        const credential = o.clientCert
          ? await clientCertCredential(o, ref, o.user, o.group, ttlSeconds)
          : `    token: ${await tokenCredential(o, ref, o.user, o.group, ttlSeconds)}\n`;
        let ca = '';
        try {
          ca = readFileSync(path.join(o.dataDir, 'pki', 'ca.crt')).toString('base64');
        } catch {
          // a given (not generated) serving certificate: the user supplies trust themselves
        }
        const server = `${o.server.replace(/\/+$/, '')}/clusters/${tenant}`;
        process.stdout.write(`apiVersion: v1
kind: Config
clusters:
- name: ${tenant}
  cluster:
    server: ${server}
${ca ? `    certificate-authority-data: ${ca}\n` : ''}users:
- name: ${o.user}@${tenant}
  user:
${credential}contexts:
- name: ${tenant}
  context:
    cluster: ${tenant}
    user: ${o.user}@${tenant}
current-context: ${tenant}
`);
      },
    );
}

interface StoreOptions {
  dataDir: string;
  hostKubeconfig?: string;
}

async function tokenCredential(
  o: StoreOptions,
  ref: TenantRef,
  user: string,
  groups: string[],
  ttlSeconds: number,
): Promise<string> {
  const stored = await withKeyStore(
    o.hostKubeconfig ? { hostKubeconfig: o.hostKubeconfig } : { dataDir: o.dataDir },
    (s) => s.load(),
  );
  const [key] = (await importKeys(stored)).slice(-1);
  if (!key) throw new Error('no signing key');
  return mintToken(key, { ...ref, user, groups, ttlSeconds });
}

/** kubeconfig user lines with a certificate signed by the tenant's CA (created on first need). */
async function clientCertCredential(
  o: StoreOptions,
  ref: TenantRef,
  user: string,
  groups: string[],
  ttlSeconds: number,
): Promise<string> {
  let caPem;
  if (o.hostKubeconfig) {
    const host = new HostClient(await loadHostConnection(o.hostKubeconfig));
    try {
      caPem = await new HostSecretClientCAStore(host).getOrCreate(ref);
    } finally {
      await host.close();
    }
  } else {
    caPem = await new FileClientCAStore(o.dataDir).getOrCreate(ref);
  }
  const leaf = await issueCert(await loadCA(caPem), {
    commonName: user,
    organizations: groups,
    client: true,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + ttlSeconds * 1000),
  });
  const b64 = (pem: string) => Buffer.from(pem).toString('base64');
  return `    client-certificate-data: ${b64(leaf.cert)}\n    client-key-data: ${b64(leaf.key)}\n`;
}
