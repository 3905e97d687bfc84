// Starts the real `kplex serve` as a child process (the suite's compiled kplex, see
// test/integration/global-setup.ts) and waits for its "serving" log line to learn the port.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface KplexProcess {
  url: string;
  port: number;
  child: ChildProcess;
  logs: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startKplex(args: string[], env: Record<string, string> = {}): Promise<KplexProcess> {
  const child = spawn(process.execPath, [inject('kplexMain'), 'serve', '--port', '0', ...args], {
    cwd: root,
    // No request log: thousands of test requests per file would fill `logs` (a test may ask for it).
    env: { KPLEX_LOG_REQUESTS: 'false', ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kplex did not start:\n${logs.join('\n')}`)), 30_000);
    let buf = '';
    child.stderr?.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        logs.push(line);
        try {
          const rec = JSON.parse(line) as { msg?: string; port?: number };
          if (rec.msg === 'serving' && rec.port) {
            clearTimeout(timer);
            resolve(rec.port);
          }
        } catch {
          // not JSON: keep for the error message
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kplex exited with ${code}:\n${logs.join('\n')}`));
    });
  });
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    child,
    logs,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}
