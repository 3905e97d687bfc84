// `kplex serve` marks its data dir with its process id, so that offline tools (`kplex tenant
// restore`) can refuse while a kplex serves from it: a running kplex caches what a store holds
// (CRDs, RBAC, resourceVersions), and a store replaced under it would be served as a mix of both.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const FILE = 'kplex.pid';

/** Writes the marker; the returned function removes it if it is still this process's. */
export function markServing(dataDir: string): () => void {
  const file = path.join(dataDir, FILE);
  writeFileSync(file, `${process.pid}\n`);
  return () => {
    if (servingPid(dataDir) === process.pid) rmSync(file, { force: true });
  };
}

/** The process id of a live kplex serving from `dataDir`, if any (a dead one's marker is stale). */
export function servingPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(dataDir, FILE), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive, another user's.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}
