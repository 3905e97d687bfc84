// Several `kplex serve` replicas of one sharded kplex in front of the suite's real host: each its
// own data dir, all with the same serving CA (one kubeconfig trusts every replica), as a
// StatefulSet's replicas share one certificate Secret.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { webhookClientCA, type HostState } from '../../deploy/local-host/host.js';
import { kubectl } from './kubectl.js';
import { startKplex, type KplexProcess } from './kplex-process.js';
import { kplexCli } from './tenant-env.js';

export interface Replica {
  shard: number;
  dataDir: string;
  kplex: KplexProcess;
  /** Starts it again (same port and data dir), e.g. after a SIGKILL. */
  restart(): Promise<void>;
}

export interface ShardedEnv {
  replicas: Replica[];
  /** Creates a tenant (placed by kplex) and returns its admin kubeconfig pointed at replica `via`. */
  tenant(name: string, via: number): Promise<string>;
  /** A kubeconfig of an existing tenant pointed at replica `via` (a client certificate instead of a token if asked). */
  kubeconfig(name: string, via: number, opts?: { clientCert?: boolean }): string;
  close(): Promise<void>;
}

export async function startShardedEnv(
  host: HostState,
  shards: number,
  extra: (shard: number) => string[] = () => [],
): Promise<ShardedEnv> {
  const dirs = Array.from({ length: shards }, () => mkdtempSync(path.join(os.tmpdir(), 'kplex-shard-it-')));
  const argsOf = (shard: number): string[] => [
    '--data-dir',
    dirs[shard]!,
    '--host-kubeconfig',
    host.kubeconfig,
    '--webhook-client-ca',
    webhookClientCA(host),
    '--shards',
    String(shards),
    '--shard',
    String(shard),
    '--replica-id',
    `it-replica-${shard}`,
    '--shard-lease-seconds',
    '3',
    ...extra(shard),
  ];
  const replicas: Replica[] = [];
  for (let shard = 0; shard < shards; shard++) {
    // Replica 0 makes the serving CA; the others take a copy of it.
    if (shard > 0) cpSync(path.join(dirs[0]!, 'pki'), path.join(dirs[shard]!, 'pki'), { recursive: true });
    const r: Replica = {
      shard,
      dataDir: dirs[shard]!,
      kplex: await startKplex(argsOf(shard)),
      async restart() {
        const port = r.kplex.port;
        await r.kplex.stop();
        r.kplex = await startKplex([...argsOf(shard), '--port', String(port)]);
      },
    };
    replicas.push(r);
  }
  const kubeconfig = (name: string, via: number, opts: { clientCert?: boolean } = {}): string => {
    const kc = kplexCli([
      'kubeconfig',
      name,
      '--data-dir',
      dirs[0]!,
      '--host-kubeconfig',
      host.kubeconfig,
      '--server',
      replicas[via]!.kplex.url,
      '--user',
      'admin',
      '--group',
      'system:masters',
      ...(opts.clientCert ? ['--client-cert'] : []),
    ]);
    const file = path.join(dirs[0]!, `${name}-via-${via}${opts.clientCert ? '-cert' : ''}.kubeconfig`);
    writeFileSync(file, kc, { mode: 0o600 });
    return file;
  };
  return {
    replicas,
    kubeconfig,
    async tenant(name, via) {
      kplexCli(['tenant', 'create', name, '--host-kubeconfig', host.kubeconfig]);
      const file = kubeconfig(name, via);
      // Placed on a shard by the holder of shard 0, then served by (or through) its owner.
      const deadline = Date.now() + 20_000;
      while (kubectl(file, ['get', '--raw', '/version']).code !== 0) {
        if (Date.now() > deadline)
          throw new Error(
            `tenant ${name} not served after 20s: ${kubectl(file, ['get', '--raw', '/version']).stderr}\n${replicas
              .map((r) =>
                r.kplex.logs
                  .filter((l) => /sharding|"level":[456]0/.test(l))
                  .slice(-10)
                  .join('\n'),
              )
              .join('\n---\n')}`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
      return file;
    },
    async close() {
      for (const r of replicas) await r.kplex.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
