// kplex's own process figures, read from /proc: resident memory, open descriptors, SQLite handles
// and TCP connections to the host; and the host's count of watches it serves (its /metrics).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { call, type Target } from './api.js';

export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

function fdTargets(pid: number): string[] {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      out.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Descriptors on tenant database files (.db, -wal, -shm): zero when every store handle is closed. */
export function sqliteFds(pid: number): number {
  return fdTargets(pid).filter((t) => /\.db(-wal|-shm)?$/.test(t)).length;
}

/** ESTABLISHED TCP connections of `pid` whose remote port is `port` (kplex → host apiserver). */
export function connectionsTo(pid: number, port: number): number {
  const inodes = new Set(fdTargets(pid).flatMap((t) => /^socket:\[(\d+)\]$/.exec(t)?.[1] ?? []));
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // no IPv6
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const remotePort = parseInt(f[2]!.split(':')[1]!, 16);
      if (f[3] === '01' && remotePort === port && inodes.has(f[9]!)) n++;
    }
  }
  return n;
}

/** Watches the host apiserver is serving now (all clients): sum of apiserver_longrunning_requests{verb="WATCH"}. */
export async function hostWatchCount(host: Target): Promise<number> {
  const r = await call(host, 'GET', '/metrics');
  if (r.status !== 200) throw new Error(`host /metrics: ${r.status}`);
  let sum = 0;
  for (const line of r.text.split('\n')) {
    if (line.startsWith('apiserver_longrunning_requests{') && line.includes('verb="WATCH"'))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}
