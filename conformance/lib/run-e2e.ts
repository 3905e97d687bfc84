// Runs one side (host or tenant) of a conformance run: e2e.test's full output goes to a log file,
// a progress line per finished spec goes to the console.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { e2eCommand, type E2ETarget } from './e2e-command.js';
import { parseJUnit } from './junit.js';
import { formatProgress, ProgressParser } from './progress.js';
import type { SideOutcome } from './summary.js';

export interface SideRun {
  outcome: SideOutcome;
  seconds: number;
  exitCode: number | null;
  log: string;
}

export async function runSide(label: string, target: E2ETarget): Promise<SideRun> {
  mkdirSync(target.reportDir, { recursive: true });
  const log = path.join(target.reportDir, 'e2e.log');
  const out = createWriteStream(log);
  const { file, args } = e2eCommand(target);
  out.write(`$ ${[file, ...args].join(' ')}\n`);
  console.log(`[${label}] ${path.basename(file)} … (log: ${log})`);
  const t0 = Date.now();
  const elapsed = (): number => (Date.now() - t0) / 1000;
  const parser = new ProgressParser((e, counts) => {
    if (e.type === 'total') console.log(`[${label}] will run ${e.total} specs`);
    else if (e.type === 'suite-failed') console.log(`[${label}] suite node failed: ${e.line}`);
    else {
      const mark = e.status === 'failed' ? ` ✗ ${e.state}: ${e.title}` : '';
      console.log(`${formatProgress(label, counts, elapsed())}${mark}`);
    }
  });
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const forward = (chunk: Buffer): void => {
    out.write(chunk);
    parser.push(chunk.toString('utf8'));
  };
  child.stdout.on('data', forward);
  child.stderr.on('data', (chunk: Buffer) => out.write(chunk));
  // Ctrl-C reaches the child through the terminal's process group; a TERM to us is passed on.
  const onTerm = (): void => void child.kill('SIGTERM');
  process.once('SIGTERM', onTerm);
  const exitCode = await new Promise<number | null>((resolve) => {
    child.on('error', (err) => {
      out.write(`\n${String(err)}\n`);
      resolve(null);
    });
    child.on('close', (code) => resolve(code));
  });
  process.off('SIGTERM', onTerm);
  parser.end();
  await new Promise<void>((r) => out.end(r));
  const seconds = elapsed();
  console.log(`${formatProgress(label, parser.counts, seconds)} · done (exit ${exitCode})`);
  const junit = path.join(target.reportDir, 'junit_01.xml');
  const outcome: SideOutcome = existsSync(junit)
    ? { cases: parseJUnit(readFileSync(junit, 'utf8')) }
    : { error: `e2e.test exited with ${exitCode} without writing ${junit}; see ${log}` };
  return { outcome, seconds, exitCode, log };
}
