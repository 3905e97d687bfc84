// The system under test, started fresh for each run so nobody else's processes are disturbed: a
// local host cluster in a temp dir and `kplex serve` (the compiled dist/, as in production) on a
// free port in front of it. Tenants are Tenant objects on the host, tokens minted with kplex's key.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  startHost,
  stopHost,
  webhookClientCA,
  type HostState,
} from '../../deploy/local-host/host.js';
import { loadOrCreateSigningKeys, type SigningKey } from '../../src/auth/signing-keys.js';
import { mintToken } from '../../src/auth/tokens.js';
import { TENANT_GROUP, TENANT_VERSION, TENANTS_PATH } from '../../src/tenancy/tenant-crd.js';
import { call, makeAgent, type Target } from './api.js';
import { sleep } from './proc.js';
import type { Agent } from 'undici';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface StackOptions {
  work: string;
  log: (line: string) => void;
  /** Extra node flags for kplex, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

export interface Stack {
  host: HostState;
  /** The host's API as its admin. */
  hostApi: Target;
  kplexPid: number;
  kplexOrigin: string;
  kplexCA: Buffer;
  dataDir: string;
  /** Tenant endpoint through `agent` (default: a shared pool of 16 connections). */
  tenant(name: string, agent?: Agent): Promise<Target>;
  /** Creates the Tenant object on the host (409 tolerated); `tenant(name)` then knows its UID. */
  createTenantObject(name: string): Promise<void>;
  /** Polls the tenant endpoint until it serves a resource request; returns performance.now() of the answer. */
  waitServed(t: Target, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** startHost picks free ports before binding them, so a busy machine can steal one: retry once. */
async function startHostRetrying(o: StackOptions): Promise<HostState> {
  for (let attempt = 1; ; attempt++) {
    const dir = path.join(o.work, attempt === 1 ? 'host' : `host-${attempt}`);
    try {
      return await startHost({ dir, log: o.log });
    } catch (err) {
      await stopHost(dir).catch(() => false);
      if (attempt >= 3) throw err;
      o.log(
        `host start failed (${(err instanceof Error ? err.message : String(err)).split('\n')[0]}); retrying`,
      );
    }
  }
}

export async function startStack(o: StackOptions): Promise<Stack> {
  // Built before the host starts: a build error then leaves no host running behind it.
  o.log('building kplex (tsc -> dist/)');
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')],
    { stdio: 'inherit' },
  );
  const host = await startHostRetrying(o);
  const pki = path.join(host.dir, 'pki');
  const hostApi: Target = {
    agent: makeAgent({
      ca: readFileSync(path.join(pki, 'ca.crt')),
      cert: readFileSync(path.join(pki, 'admin.crt')),
      key: readFileSync(path.join(pki, 'admin.key')),
      connections: 16,
    }),
    origin: host.server,
    base: '',
  };
  const port = await freePort();
  const dataDir = path.join(o.work, 'data');
  const logFile = path.join(o.work, 'kplex.log');
  const out = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      ...(o.nodeArgs ?? []),
      path.join(root, 'dist/cli/main.js'),
      'serve',
      '--port',
      String(port),
      '--data-dir',
      dataDir,
      '--host-kubeconfig',
      host.kubeconfig,
      '--log-level',
      'warn',
      // The pod syncer as deployed: only the host apiserver calls the webhook, pods get kplex's DNS.
      '--webhook-client-ca',
      webhookClientCA(host),
      '--pod-dns-address',
      '127.0.0.1',
    ],
    { cwd: root, stdio: ['ignore', out, out] },
  );
  const kplexOrigin = `https://127.0.0.1:${port}`;
  const probe = makeAgent({ connections: 1 });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited(child)) throw new Error(`kplex exited (${child.exitCode}); see ${logFile}`);
    const ok = await call({ agent: probe, origin: kplexOrigin, base: '' }, 'GET', '/readyz').then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`kplex not ready after 60s; see ${logFile}`);
    await sleep(200);
  }
  await probe.close();
  o.log(
    `kplex pid ${child.pid} serving on ${kplexOrigin} in front of host ${host.version} (${host.server}); log ${logFile}`,
  );
  const kplexCA = readFileSync(path.join(dataDir, 'pki', 'ca.crt'));
  const keys: SigningKey[] = await loadOrCreateSigningKeys(dataDir);
  const key = keys.at(-1)!;
  const shared = makeAgent({ ca: kplexCA, connections: 16 });
  const uids = new Map<string, string>();
  return {
    host,
    hostApi,
    kplexPid: child.pid!,
    kplexOrigin,
    kplexCA,
    dataDir,
    async tenant(name, agent = shared) {
      // Tokens name the Tenant's UID (a token outlives no tenant): known from its creation here.
      let tenantUid = uids.get(name);
      if (!tenantUid) {
        const got = await call(hostApi, 'GET', `${TENANTS_PATH}/${name}`);
        tenantUid = (JSON.parse(got.text) as { metadata?: { uid?: string } }).metadata?.uid;
        if (got.status !== 200 || !tenantUid)
          throw new Error(`reading Tenant ${name}: ${got.status} ${got.text.slice(0, 200)}`);
        uids.set(name, tenantUid);
      }
      const token = await mintToken(key, {
        tenant: name,
        tenantUid,
        user: 'admin',
        groups: ['system:masters'],
      });
      return { agent, origin: kplexOrigin, base: `/clusters/${name}`, token };
    },
    async createTenantObject(name) {
      const r = await call(hostApi, 'POST', TENANTS_PATH, {
        apiVersion: `${TENANT_GROUP}/${TENANT_VERSION}`,
        kind: 'Tenant',
        metadata: { name },
        spec: {},
      });
      if (r.status !== 201 && r.status !== 409)
        throw new Error(`creating Tenant ${name}: ${r.status} ${r.text.slice(0, 200)}`);
      const uid =
        r.status === 201 ? (JSON.parse(r.text) as { metadata?: { uid?: string } }).metadata?.uid : undefined;
      if (uid) uids.set(name, uid);
    },
    async waitServed(t, timeoutMs = 60_000) {
      const end = performance.now() + timeoutMs;
      for (;;) {
        const r = await call(t, 'GET', '/api/v1/namespaces/default');
        if (r.status === 200) return performance.now();
        if (performance.now() > end)
          throw new Error(`${t.base} not served after ${timeoutMs} ms: ${r.status} ${r.text.slice(0, 200)}`);
        await sleep(1);
      }
    },
    async close() {
      if (!exited(child)) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, sleep(30_000)]);
        if (!exited(child)) child.kill('SIGKILL');
      }
      await shared.close().catch(() => undefined);
      await hostApi.agent.close().catch(() => undefined);
      await stopHost(host.dir);
    },
  };
}
