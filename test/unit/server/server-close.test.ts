// Shutdown: an idle keep-alive connection (the host's webhook client holds one) is ended at once,
// a request in flight is answered, and close resolves when it is (never the whole grace).
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { HealthChecks } from '../../../src/server/health.js';
import { startServer } from '../../../src/server/server.js';
import { loadOrCreateServingTLS } from '../../../src/server/tls.js';

function get(agent: https.Agent, port: number, p: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path: p, agent, rejectUnauthorized: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

describe('server close', () => {
  it('ends idle keep-alive connections at once and waits for a request in flight', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kplex-close-'));
    let release!: () => void;
    let arrived!: () => void;
    const slowArrived = new Promise<void>((r) => (arrived = r));
    const server = await startServer({
      bindAddress: '127.0.0.1',
      port: 0,
      tls: await loadOrCreateServingTLS({ dataDir: dir }),
      logger: createLogger('silent'),
      health: new HealthChecks(),
      version: () => ({}) as never,
      routes: new Map([
        [
          '/slow',
          async (_req, res) => {
            arrived();
            await new Promise<void>((r) => (release = r));
            res.end('done');
          },
        ],
      ]),
    });
    const idle = new https.Agent({ keepAlive: true });
    const busy = new https.Agent({ keepAlive: true });
    try {
      expect(await get(idle, server.port, '/version')).toBe(200);
      const idleSocket = Object.values(idle.freeSockets).flat()[0]!;
      const idleClosed = new Promise<void>((r) => idleSocket.once('close', () => r()));
      const slow = get(busy, server.port, '/slow');
      await slowArrived;
      let closed = false;
      const closing = server.close(600_000).then(() => (closed = true));
      await idleClosed;
      expect(closed).toBe(false);
      release();
      expect(await slow).toBe(200);
      await closing;
    } finally {
      idle.destroy();
      busy.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
