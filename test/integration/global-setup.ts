// Starts ONE fresh local host cluster for the whole integration suite and stops it at the end.
// If the host cannot start, setup throws and every integration test fails: none skips silently.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startHost, stopHost, type HostState } from '../../deploy/local-host/host.js';

declare module 'vitest' {
  export interface ProvidedContext {
    host: HostState;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kplex-test-host-'));
  const host = await startHost({ dir, nodes: 2, log: (l) => process.stderr.write(`[host] ${l}\n`) });
  project.provide('host', host);
  return async () => {
    await stopHost(dir);
    rmSync(dir, { recursive: true, force: true });
  };
}
