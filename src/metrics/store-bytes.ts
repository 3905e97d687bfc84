// The bytes of the tenant stores on disk, summed over the data dir's files. Read at scrape time
// but at most once per `ttlMs`: with tens of thousands of tenants a scan costs that many stats.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface DirUsage {
  files: number;
  bytes: number;
}

export function dirUsage(dir: string, ttlMs = 15_000): () => Promise<DirUsage> {
  let last: { at: number; usage: Promise<DirUsage> } | undefined;
  const scan = async (): Promise<DirUsage> => {
    const names = await readdir(dir).catch(() => [] as string[]);
    let bytes = 0;
    let files = 0;
    for (const n of names) {
      const s = await stat(join(dir, n)).catch(() => undefined);
      if (!s?.isFile()) continue;
      bytes += s.size;
      if (n.endsWith('.db')) files++;
    }
    return { files, bytes };
  };
  return () => {
    const now = performance.now();
    if (!last || now - last.at >= ttlMs) last = { at: now, usage: scan() };
    return last.usage;
  };
}
