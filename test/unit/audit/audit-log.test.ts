// Audit events of requests through a real HTTP server: bodies observed as the handler reads and
// writes them, the level's fields only, error Status in responseStatus, impersonation, the
// per-tenant file, and nothing for level None.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRequestInfo } from '../../../src/api/request-info.js';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { parsePolicy } from '../../../src/audit/policy.js';
import { createLogger } from '../../../src/log/logger.js';

const policy = parsePolicy(`apiVersion: audit.k8s.io/v1
kind: Policy
omitManagedFields: true
rules:
- level: None
  resources: [{group: "", resources: ["events"]}]
- level: RequestResponse
  resources: [{group: "", resources: ["configmaps"]}]
- level: Request
  resources: [{group: "", resources: ["secrets"]}]
- level: Metadata
`);
const alice = { username: 'alice', groups: ['devs', 'system:authenticated'] };

describe('audit log events', () => {
  let dir: string;
  let audit: AuditLog;
  let server: Server;
  let port: number;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kplex-audit-unit-'));
    audit = new AuditLog({
      policy,
      file: path.join(dir, 'audit.log'),
      dir: path.join(dir, 'tenants'),
      logger: createLogger('silent'),
    });
    // A handler as kplex's: reads the body, answers JSON (an echo, or a 404 Status).
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const info = parseRequestInfo(req.method ?? 'GET', url.pathname.replace('/clusters/acme', ''));
      const rec = audit.begin({ req, res, tenant: 'acme', info, user: alice, longRunning: false });
      if (url.searchParams.has('as')) rec!.impersonated = { username: 'bob', groups: [] };
      res.once('close', () => rec?.complete(res.statusCode));
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        if (info.name === 'missing') {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              kind: 'Status',
              status: 'Failure',
              reason: 'NotFound',
              message: 'gone',
              code: 404,
            }),
          );
          return;
        }
        const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as object) : {};
        res.writeHead(201, { 'content-type': 'application/json' });
        res.write('{"kind":"Echo",');
        res.end(`"metadata":{"name":"n","managedFields":[{}]},"sent":${JSON.stringify(body)}}`);
      })();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await new Promise((r) => server.close(r));
    await audit.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = (method: string, p: string, body?: object) =>
    new Promise<{ status: number; auditId: string }>((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', method, path: `/clusters/acme${p}` }, (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, auditId: String(res.headers['audit-id']) }),
        );
      });
      req.on('error', reject);
      req.end(body ? JSON.stringify(body) : undefined);
    });
  const read = (file: string) => {
    try {
      return readFileSync(path.join(dir, file), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch {
      return [];
    }
  };
  // Lines are written when the server's response closes and queued on a stream: wait for them.
  const lines = async (n: number, file = 'audit.log') => {
    await expect.poll(() => read(file).length).toBe(n);
    return read(file);
  };

  it('writes each level with its fields only', async () => {
    const cm = await send('POST', '/api/v1/namespaces/shop/configmaps', { metadata: { name: 'c' } });
    await send('POST', '/api/v1/namespaces/shop/secrets?as=bob', { metadata: { name: 's' } });
    await send('GET', '/api/v1/namespaces/shop/pods/missing');
    await send('POST', '/api/v1/namespaces/shop/events', { metadata: { name: 'e' } });
    const [rr, req, meta] = await lines(3);
    expect(rr).toMatchObject({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'RequestResponse',
      stage: 'ResponseComplete',
      auditID: cm.auditId,
      verb: 'create',
      requestURI: '/clusters/acme/api/v1/namespaces/shop/configmaps',
      user: alice,
      objectRef: { resource: 'configmaps', namespace: 'shop', apiGroup: '', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 201 },
      requestObject: { metadata: { name: 'c' } },
      responseObject: { kind: 'Echo', metadata: { name: 'n' } },
      annotations: { 'kplex.io/tenant': 'acme' },
    });
    // omitManagedFields
    expect((rr!['responseObject'] as { metadata: object }).metadata).toEqual({ name: 'n' });
    expect(req).toMatchObject({ level: 'Request', requestObject: { metadata: { name: 's' } } });
    expect(req!['impersonatedUser']).toEqual({ username: 'bob' });
    expect(req!['responseObject']).toBeUndefined();
    expect(meta).toMatchObject({
      level: 'Metadata',
      verb: 'get',
      responseStatus: { code: 404, status: 'Failure', reason: 'NotFound', message: 'gone' },
    });
    expect(meta!['requestObject']).toBeUndefined();
    expect(meta!['responseObject']).toBeUndefined();
    expect(String(meta!['stageTimestamp'])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    // The tenant's own file holds the same lines.
    expect(await lines(3, 'tenants/acme.log')).toHaveLength(3);
    // The events request (level None) wrote nothing.
    expect(read('audit.log').some((e) => JSON.stringify(e).includes('/events'))).toBe(false);
  });

  it('leaves bodies that are not objects out', async () => {
    await new Promise<void>((resolve, reject) => {
      const r = request(
        { port, host: '127.0.0.1', method: 'POST', path: '/clusters/acme/api/v1/namespaces/shop/configmaps' },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      r.on('error', reject);
      r.end('[1,2]');
    });
    const [e] = await lines(1);
    expect(e!['requestObject']).toBeUndefined();
    expect(e!['responseObject']).toMatchObject({ sent: [1, 2] });
  });
});
