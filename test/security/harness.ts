// The security suite's shared parts: attacks as named tests by category, a kplex with tenants in
// front of the suite's real host, the victim-latency probe for denial-of-service attacks, and raw
// TLS for byte-level attacks. Every attack asserts the SAFE outcome; loops are bounded and target
// loopback only.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { inject, it, expect } from 'vitest';
import type { HostState } from '../../deploy/local-host/host.js';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { apiClient } from '../helpers/api-client.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

export const CATEGORIES = [
  'paths',
  'selectors',
  'bodies',
  'namespaces',
  'upgrades',
  'authn',
  'rbac',
  'leaks',
  'exhaustion',
  'malformed',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** One attack: a test named `[category] name` (docs/security.md's table is built from these names). */
export function attack(category: Category, name: string, fn: () => Promise<void>, timeoutMs = 120_000): void {
  it(`[${category}] ${name}`, fn, timeoutMs);
}

export interface SecurityEnv {
  env: TenantEnv;
  host: HostState;
  /** The host admin's client: to check what did (not) happen on the host. */
  hostApi: HostClient;
  /** Each tenant's admin kubeconfig (system:masters in its own tenant). */
  kc: Record<string, string>;
  /** Each tenant's admin client (raw API access through kplex). */
  api: Record<string, HostClient>;
  kplexPid: number;
  close(): Promise<void>;
}

export async function securityEnv(
  tenants: string[],
  opts: { kplexArgs?: string[] } = {},
): Promise<SecurityEnv> {
  const host = inject('host');
  const env = await startTenantEnv(host, opts.kplexArgs);
  const kc: Record<string, string> = {};
  const api: Record<string, HostClient> = {};
  for (const t of tenants) {
    kc[t] = await env.tenant(t);
    api[t] = await apiClient(kc[t]);
  }
  const hostApi = await apiClient(host.kubeconfig);
  return {
    env,
    host,
    hostApi,
    kc,
    api,
    get kplexPid() {
      return env.kplex.child.pid ?? 0;
    },
    async close() {
      await Promise.all([...Object.values(api).map((c) => c.close()), hostApi.close()]);
      await env.close();
    },
  };
}

export interface LatencyStats {
  n: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Runs `attack` while a victim tenant GETs `path` back to back (a 10 ms pause between GETs), and
 * returns the victim's latencies in ms. A failed GET (non-2xx or a transport error) counts as an
 * error and as the time it took. At least 20 samples are taken even if the attack ends sooner.
 */
export async function victimLatency(
  victim: HostClient,
  path: string,
  attackFn: () => Promise<unknown>,
): Promise<LatencyStats> {
  const samples: number[] = [];
  let errors = 0;
  let attacking = true;
  const probe = (async () => {
    while (attacking || samples.length < 20) {
      const t0 = performance.now();
      try {
        const r = await victim.request('GET', path);
        if (r.status < 200 || r.status >= 300) errors++;
      } catch {
        errors++;
      }
      samples.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    await attackFn();
  } finally {
    attacking = false;
    await probe;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const stats = {
    n: samples.length,
    p50: Math.round(percentile(sorted, 50) * 10) / 10,
    p99: Math.round(percentile(sorted, 99) * 10) / 10,
    max: Math.round((sorted.at(-1) ?? 0) * 10) / 10,
    errors,
  };
  process.stderr.write(`[security] victim ${path}: ${JSON.stringify(stats)}\n`);
  recordLatency(expect.getState().currentTestName ?? path, stats);
  return stats;
}

/** Where the victim latencies of a run are kept for `test/security/report.ts` (docs/security.md). */
export const LATENCY_LOG = path.resolve('.kplex/security/latency.jsonl');

function recordLatency(test: string, stats: LatencyStats): void {
  mkdirSync(path.dirname(LATENCY_LOG), { recursive: true });
  appendFileSync(LATENCY_LOG, JSON.stringify({ test, ...stats }) + '\n');
}

/** Resident set size of a process, in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/**
 * Writes `bytes` on a fresh TLS connection to `url` and returns everything received until the
 * server closes the connection or `readMs` (default 3 s) passes.
 */
export function rawTLS(url: string, bytes: string | Buffer, opts: { readMs?: number } = {}): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const sock = tls.connect(
      { host: u.hostname, port: Number(u.port), rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] },
      () => {
        sock.write(bytes);
      },
    );
    const finish = (): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(finish, opts.readMs ?? 3_000);
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', finish);
  });
}

/** Asserts a Kubernetes Status answer with `code` (and `reason` when given). */
export function expectStatus(res: { status: number; body: unknown }, code: number, reason?: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(code);
  const body = res.body as { kind?: string; code?: number; reason?: string };
  expect(body?.kind, JSON.stringify(res.body)).toBe('Status');
  expect(body.code).toBe(code);
  if (reason) expect(body.reason).toBe(reason);
}

/**
 * The host namespace of a tenant namespace, by the labels kplex records on it. kplex makes it in
 * the background right after the namespace is created: waited for (10 s at most).
 */
export async function hostNamespaceOf(hostApi: HostClient, tenant: string, ns: string): Promise<string> {
  const selector = encodeURIComponent(`kplex.io/tenant=${tenant},kplex.io/namespace=${ns}`);
  for (let i = 0; i < 100; i++) {
    const r = await hostApi.request<{ items: { metadata: { name: string } }[] }>(
      'GET',
      `/api/v1/namespaces?labelSelector=${selector}`,
    );
    const found = r.body.items[0];
    if (found) return found.metadata.name;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no host namespace for ${tenant}/${ns}`);
}
