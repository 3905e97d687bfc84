// Starts an attacking tenant's load (load.ts) in a process of its own. The process runs at a lower
// CPU priority (nice 10): on a real cluster an attacker's clients run on the attacker's machines,
// so their own TLS and JSON work must not compete with kplex and the victim for this machine's two
// cores; it still gets every cycle they leave idle. What the attack costs kplex is unchanged.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadResult, LoadSpec } from './load.js';

const LOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'load.ts');

export interface RunningLoad {
  /** The attacker's report, once its requests are done. */
  result: Promise<LoadResult>;
  /** Ends the process (and the connections it holds with `hold` / `unread`). */
  close: () => Promise<void>;
}

export function runLoad(spec: LoadSpec): RunningLoad {
  const child = spawn('nice', ['-n', '10', process.execPath, '--import', 'tsx', LOAD, JSON.stringify(spec)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const result = new Promise<LoadResult>((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) ok(JSON.parse(out.slice(0, nl)) as LoadResult);
    });
    void exited.then(() => fail(new Error(`load process ended without a report: ${out}`)));
  });
  return {
    result,
    close: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

/** Runs a load to its end and returns its report. */
export async function attackerLoad(spec: LoadSpec): Promise<LoadResult> {
  const l = runLoad(spec);
  try {
    return await l.result;
  } finally {
    await l.close();
  }
}
