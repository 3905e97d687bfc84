// Moving a tenant to another shard (`kplex tenant move NAME --to-shard K`). The Tenant is
// annotated kplex.io/moving-to: K; from then on every replica answers the tenant 503 with
// Retry-After, and the old owner ends the tenant's requests and closes its store. The holder of
// shard K pulls a consistent copy of the store from the old owner over the replica channel (only a
// replica may ask, only while the tenant is moving), installs it, and relabels the Tenant in one
// write conditional on its resourceVersion (the label moves, the annotation goes). The old owner
// then deletes its copy. Watches of the moved tenant ended with the fence; clients relist or
// resume from their resourceVersion on the new owner (the change log moved with the store).
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { KubeObject } from '../api/object.js';
import { SHARD_LABEL } from './tenant-shard.js';

export const MOVING_ANNOTATION = 'kplex.io/moving-to';
/** The path below /clusters/<tenant> where the old owner hands the store to the new one. */
export const STORE_COPY_PATH = '/kplex-replica/store';

/** The shard a tenant is moving to, if it is moving. */
export function movingTo(tenant: KubeObject | undefined, shards: number): number | undefined {
  const v = tenant?.metadata?.annotations?.[MOVING_ANNOTATION];
  if (v === undefined || !/^\d{1,4}$/.test(v)) return undefined;
  const n = Number(v);
  return n < shards ? n : undefined;
}

/** Starts a move (conditional on the version read). */
export function movePatch(tenant: KubeObject, to: number): Record<string, unknown> {
  return {
    metadata: {
      resourceVersion: tenant.metadata?.resourceVersion,
      annotations: { [MOVING_ANNOTATION]: String(to) },
    },
  };
}

/** Ends a move: the tenant is on `to` now. */
export function movedPatch(tenant: KubeObject, to: number): Record<string, unknown> {
  return {
    metadata: {
      resourceVersion: tenant.metadata?.resourceVersion,
      labels: { [SHARD_LABEL]: String(to) },
      annotations: { [MOVING_ANNOTATION]: null },
    },
  };
}

/** Downloads the store copy from `url` with `agent` into a fresh temporary file; returns its path and a cleanup. */
export async function downloadStore(
  agent: https.Agent,
  url: URL,
  headers: Record<string, string>,
): Promise<{ file: string | undefined; cleanup: () => void }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kplex-move-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  const file = path.join(dir, 'store.db');
  let noStore = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const req = https.get(url, { agent, headers, timeout: 30_000 }, (res) => {
        // 204: the tenant never had a store there (never used): the new owner starts it empty.
        if (res.statusCode === 204) {
          res.resume();
          noStore = true;
          return resolve();
        }
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`the old owner answered ${res.statusCode}`));
        }
        pipeline(res, createWriteStream(file)).then(resolve, reject);
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
    });
    return { file: noStore ? undefined : file, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}
