// The pipeline's fixed points: tenant resolution by the one tenant-name rule and a live UID, and
// the one error writer (a Status as thrown; kplex's own host-path failures without their text).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { forbidden } from '../../../src/api/status.js';
import { createLogger } from '../../../src/log/logger.js';
import { writeRequestError } from '../../../src/server/error-writer.js';
import { resolveTenant } from '../../../src/server/pipeline.js';

const log = createLogger('silent');

async function answer(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    return {
      status: res.status,
      body: (await res.json()) as { code: number; reason: string; message: string },
    };
  } finally {
    server.close();
  }
}

describe('tenant resolution', () => {
  const uids: Record<string, string> = { acme: 'u-1', 'kube-x': 'u-2' };
  const deps = { tenantUid: (n: string) => uids[n] };
  it('gives a valid, live tenant its UID and refuses anything else with 401', () => {
    expect(resolveTenant(deps, 'acme')).toEqual({ name: 'acme', uid: 'u-1' });
    for (const bad of ['ghost', 'kube-x', 'ACME', '', 'a'.repeat(41), '../acme'])
      expect(() => resolveTenant(deps, bad)).toThrow(
        expect.objectContaining({ status: expect.objectContaining({ code: 401 }) }),
      );
  });
});

describe('error writer', () => {
  it('writes a StatusError as thrown, on any path', async () => {
    const err = forbidden({ group: '', resource: 'pods' }, 'x', 'no');
    for (const hostBacked of [false, true]) {
      const r = await answer((_req, res) => writeRequestError(res, err, log, { hostBacked }));
      expect(r.status).toBe(403);
      expect(r.body.reason).toBe('Forbidden');
    }
  });

  it('answers kplex own failures with 500, never showing a host-path failure text', async () => {
    const failure = new Error('connect ECONNREFUSED 10.0.0.1:6443 for namespace t-secret');
    const virtual = await answer((_req, res) => writeRequestError(res, failure, log));
    expect(virtual.status).toBe(500);
    const host = await answer((_req, res) => writeRequestError(res, failure, log, { hostBacked: true }));
    expect(host.status).toBe(500);
    expect(host.body.reason).toBe('InternalError');
    expect(JSON.stringify(host.body)).not.toContain('t-secret');
    expect(JSON.stringify(host.body)).not.toContain('10.0.0.1');
  });
});
