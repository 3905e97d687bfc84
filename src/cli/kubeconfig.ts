import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { importKeys } from '../auth/signing-keys.js';
import { withKeyStore } from './keys.js';
import { mintToken } from '../auth/tokens.js';
import { FileClientCAStore, HostSecretClientCAStore } from '../auth/client-ca-store.js';
import { HostClient } from '../host/host-client.js';
import { loadHostConnection } from '../host/host-config.js';
import { issueCert, loadCA } from '../pki/certs.js';
import { validTenantName } from '../tenancy/tenant-crd.js';

const collect = (v: string, acc: string[]): string[] => [...acc, v];

/** Parses durations like 30s, 15m, 24h, 7d (0 = no expiry). */
export function parseDuration(v: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(v.trim());
  if (!m) throw new Error(`invalid duration "${v}" (examples: 3600s, 60m, 24h, 30d)`);
  const n = Number(m[1]);
  return n * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[2] ?? '']!;
}

export function kubeconfigCommand(): Command {
  return new Command('kubeconfig')
    .description('print a kubeconfig for a tenant, with a kplex-signed token or client certificate')
    .argument('<tenant>')
    .option('--user <name>', 'user name in the token', 'admin')
    .option('--group <group>', 'group of the user (repeatable)', collect, [] as string[])
    .option('--ttl <duration>', 'token lifetime, e.g. 24h or 30d (0: no expiry; a certificate: 365d)', '0')
    .option('--client-cert', "a client certificate (CN=user, O=groups) signed by the tenant's CA instead of a token")
    .addOption(
      new Option('--server <url>', 'kplex base URL').env('KPLEX_SERVER').default('https://127.0.0.1:9443'),
    )
    .addOption(
      new Option('--data-dir <dir>', 'kplex data dir (signing keys and serving CA)')
        .env('KPLEX_DATA_DIR')
        .default(path.join('.kplex', 'data')),
    )
    .addOption(
      new Option(
        '--host-kubeconfig <file>',
        'sign with the keys of the host Secret every replica shares (instead of the data dir)',
      ),
    )
    .action(
      async (
        tenant: string,
        o: {
          user: string;
          group: string[];
          ttl: string;
          server: string;
          dataDir: string;
          hostKubeconfig?: string;
          clientCert?: boolean;
        },
      ) => {
        if (!validTenantName(tenant)) throw new Error(`invalid tenant name "${tenant}"`);
        const groups = o.group.length ? o.group : ['system:masters'];
        const ttlSeconds = parseDuration(o.ttl) || undefined;
        const credential = o.clientCert
          ? await clientCertCredential(o, tenant, o.user, groups, ttlSeconds)
          : `    token: ${await tokenCredential(o, tenant, o.user, groups, ttlSeconds)}\n`;
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
  tenant: string,
  user: string,
  groups: string[],
  ttlSeconds?: number,
): Promise<string> {
  const stored = await withKeyStore(
    o.hostKubeconfig ? { hostKubeconfig: o.hostKubeconfig } : { dataDir: o.dataDir },
    (s) => s.load(),
  );
  const [key] = (await importKeys(stored)).slice(-1);
  if (!key) throw new Error('no signing key');
  return mintToken(key, { tenant, user, groups, ttlSeconds });
}

/** kubeconfig user lines with a certificate signed by the tenant's CA (created on first need). */
async function clientCertCredential(
  o: StoreOptions,
  tenant: string,
  user: string,
  groups: string[],
  ttlSeconds?: number,
): Promise<string> {
  let caPem;
  if (o.hostKubeconfig) {
    const host = new HostClient(await loadHostConnection(o.hostKubeconfig));
    try {
      caPem = await new HostSecretClientCAStore(host).getOrCreate(tenant);
    } finally {
      await host.close();
    }
  } else {
    caPem = await new FileClientCAStore(o.dataDir).getOrCreate(tenant);
  }
  const leaf = await issueCert(await loadCA(caPem), {
    commonName: user,
    organizations: groups,
    client: true,
    ...(ttlSeconds ? { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + ttlSeconds * 1000) } : {}),
  });
  const b64 = (pem: string) => Buffer.from(pem).toString('base64');
  return `    client-certificate-data: ${b64(leaf.cert)}\n    client-key-data: ${b64(leaf.key)}\n`;
}
