// Starts ONE fresh local host cluster for the whole integration suite and stops it at the end.
// If the host cannot start, setup throws and every integration test fails: none skips silently.
// Also compiles kplex once (tsc) for the suite's ~150 starts of `kplex serve` and the CLI: under
// tsx each start spent 1-2 s of CPU transpiling the same TypeScript again.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startHost, stopHost, type HostState } from '../../deploy/local-host/host.js';

declare module 'vitest' {
  export interface ProvidedContext {
    host: HostState;
    /** The compiled `kplex` command (cli/main.js) the tests run. */
    kplexMain: string;
  }
}

const root = path.resolve(import.meta.dirname, '..', '..');

/**
 * tsc into a directory of the repository root (one level down, as dist/: the code finds storage/
 * and package.json relative to itself), one per run so concurrent runs never share it.
 */
function compileKplex(): string {
  const out = path.join(root, `.test-dist-${process.pid}`);
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--outDir', out], {
    cwd: root,
    encoding: 'utf8',
  });
  // Type errors still emit JavaScript (the typecheck step judges them); no output at all fails.
  const main = path.join(out, 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`compiling kplex failed:\n${r.stdout}${r.stderr}`);
  return out;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const out = compileKplex();
  project.provide('kplexMain', path.join(out, 'cli', 'main.js'));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kplex-test-host-'));
  const host = await startHost({ dir, nodes: 2, log: (l) => process.stderr.write(`[host] ${l}\n`) });
  project.provide('host', host);
  return async () => {
    await stopHost(dir);
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  };
}
