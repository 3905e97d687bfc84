// /healthz, /livez and /readyz in the apiserver's format: `ok`, or with ?verbose one line per
// check ([+]name ok / [-]name failed) and `healthz check failed` with 500 when one fails.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeText } from '../api/respond.js';

export type HealthCheck = () => Promise<void> | void;

export class HealthChecks {
  private readonly checks = new Map<string, HealthCheck>();

  add(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  async serve(endpoint: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const only = url.pathname.slice(endpoint.length + 2); // /readyz/<name>
    const excluded = new Set(url.searchParams.getAll('exclude'));
    const lines: string[] = ['[+]ping ok'];
    let failed = false;
    for (const [name, check] of this.checks) {
      if (excluded.has(name) || (only && only !== name)) continue;
      try {
        await check();
        lines.push(`[+]${name} ok`);
      } catch {
        failed = true;
        lines.push(`[-]${name} failed: reason withheld`);
      }
    }
    if (failed) {
      writeText(res, 500, `${lines.join('\n')}\n${endpoint} check failed\n`);
    } else if (url.searchParams.has('verbose')) {
      writeText(res, 200, `${lines.join('\n')}\n${endpoint} check passed\n`);
    } else {
      writeText(res, 200, 'ok');
    }
  }
}
