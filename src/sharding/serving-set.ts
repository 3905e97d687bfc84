// The requests a replica is serving for its shard, by tenant: the Lease's loss ends them all; a
// tenant's move ends its long-running ones at once (watches, exec, followed logs) and lets its
// short ones finish (drain) before the store is copied, so no write is acknowledged after the copy
// and none is cut without an answer.
import type { IncomingMessage, ServerResponse } from 'node:http';

const LONG_RUNNING_QUERY = /(?:^|&)(?:watch|follow)=(?:1|true)(?:&|$)/;

export function isLongRunning(req: IncomingMessage): boolean {
  const [path = '', query = ''] = (req.url ?? '').split('?', 2);
  return (
    (req as IncomingMessage & { upgradeHead?: Buffer }).upgradeHead !== undefined ||
    LONG_RUNNING_QUERY.test(query) ||
    /\/watch\//.test(path)
  );
}

interface Served {
  tenant: string;
  long: boolean;
}

export class ServingSet {
  private readonly served = new Map<ServerResponse, Served>();

  add(req: IncomingMessage, res: ServerResponse, tenant: string): void {
    this.served.set(res, { tenant, long: isLongRunning(req) });
    res.once('close', () => this.served.delete(res));
  }

  /** Ends every request (the Lease is lost). */
  endAll(): void {
    for (const res of [...this.served.keys()]) res.destroy();
    this.served.clear();
  }

  /** Ends the tenant's long-running requests now. */
  endLong(tenant: string): void {
    for (const [res, s] of [...this.served]) if (s.tenant === tenant && s.long) res.destroy();
  }

  /** Resolves when the tenant's short requests have answered; those left after `ms` are cut. */
  async drain(tenant: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    const left = (): ServerResponse[] =>
      [...this.served].filter(([, s]) => s.tenant === tenant).map(([res]) => res);
    while (left().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    for (const res of left()) res.destroy();
  }
}
