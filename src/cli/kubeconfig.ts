import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { importKeys } from '../auth/signing-keys.js';
import { withKeyStore } from './keys.js';
import { mintToken } from '../auth/tokens.js';
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
    .description('print a kubeconfig for a tenant, with a kplex-signed token')
    .argument('<tenant>')
    .option('--user <name>', 'user name in the token', 'admin')
    .option('--group <group>', 'group of the user (repeatable)', collect, [] as string[])
    .option('--ttl <duration>', 'token lifetime, e.g. 24h or 30d (0: no expiry)', '0')
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
        },
      ) => {
        if (!validTenantName(tenant)) throw new Error(`invalid tenant name "${tenant}"`);
        const groups = o.group.length ? o.group : ['system:masters'];
        const stored = await withKeyStore(
          o.hostKubeconfig ? { hostKubeconfig: o.hostKubeconfig } : { dataDir: o.dataDir },
          (s) => s.load(),
        );
        const [key] = (await importKeys(stored)).slice(-1);
        if (!key) throw new Error('no signing key');
        const token = await mintToken(key, {
          tenant,
          user: o.user,
          groups,
          ttlSeconds: parseDuration(o.ttl) || undefined,
        });
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
    token: ${token}
contexts:
- name: ${tenant}
  context:
    cluster: ${tenant}
    user: ${o.user}@${tenant}
current-context: ${tenant}
`);
      },
    );
}
