// A kplex in front of the suite's real host, with tenants and their kubeconfigs, all created the
// way a user would: `kplex serve`, `kplex tenant create`, `kplex kubeconfig`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { webhookClientCA, type HostState } from '../../deploy/local-host/host.js';
import { kubectl } from './kubectl.js';
import { chartServeArgs } from './chart-credentials.js';
import { startKplex, type KplexProcess } from './kplex-process.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function kplexCli(args: string[]): string {
  const r = spawnSync(process.execPath, [inject('kplexMain'), ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`kplex ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export interface TenantEnv {
  kplex: KplexProcess;
  dataDir: string;
  /** Creates a tenant and returns the path of its kubeconfig (user admin, system:masters). */
  tenant(name: string, opts?: { user?: string; groups?: string[] }): Promise<string>;
  /** Restarts kplex (same data dir), e.g. after a SIGKILL; `whileStopped` runs between stop and start. */
  restart(signal?: NodeJS.Signals, whileStopped?: () => void): Promise<void>;
  close(): Promise<void>;
}

export async function startTenantEnv(host: HostState, extraArgs: string[] = []): Promise<TenantEnv> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kplex-it-'));
  // The host apiserver's webhook client CA: only the host may call kplex's pod webhook.
  const args = [
    '--data-dir',
    dataDir,
    '--host-kubeconfig',
    host.kubeconfig,
    '--webhook-client-ca',
    webhookClientCA(host),
    // KPLEX_TEST_LEAST_PRIVILEGE=1: kplex on the chart's ServiceAccount token, not the host admin.
    ...(process.env.KPLEX_TEST_LEAST_PRIVILEGE === '1' ? chartServeArgs(host) : []),
    ...extraArgs,
  ];
  let kplex = await startKplex(args);
  const env: TenantEnv = {
    get kplex() {
      return kplex;
    },
    dataDir,
    async tenant(name, opts = {}) {
      // A tenant of an earlier test of the same file may exist already (one CLI start, not a list first).
      try {
        kplexCli(['tenant', 'create', name, '--host-kubeconfig', host.kubeconfig]);
      } catch (err) {
        if (!String(err).includes(`tenant "${name}" already exists`)) throw err;
      }
      const groupArgs = (opts.groups ?? ['system:masters']).flatMap((g) => ['--group', g]);
      const kc = kplexCli([
        'kubeconfig',
        name,
        '--data-dir',
        dataDir,
        '--host-kubeconfig',
        host.kubeconfig,
        '--server',
        kplex.url,
        '--user',
        opts.user ?? 'admin',
        ...groupArgs,
      ]);
      const file = path.join(dataDir, `${name}-${opts.user ?? 'admin'}.kubeconfig`);
      writeFileSync(file, kc, { mode: 0o600 });
      // kplex learns of the tenant through its watch of Tenant objects.
      const deadline = Date.now() + 15_000;
      while (kubectl(file, ['get', '--raw', '/version']).code !== 0) {
        if (Date.now() > deadline) throw new Error(`tenant ${name} not served after 15s`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return file;
    },
    async restart(signal = 'SIGTERM', whileStopped) {
      const port = kplex.port;
      await kplex.stop(signal);
      try {
        whileStopped?.();
      } finally {
        // The same port: kubeconfigs written before the restart keep working.
        kplex = await startKplex([...args, '--port', String(port)]);
      }
    },
    async close() {
      await kplex.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return env;
}
