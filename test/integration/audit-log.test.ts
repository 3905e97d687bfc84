// kplex's audit log: real kubectl requests give one audit.k8s.io/v1 Event line per request at the
// level the policy (the apiserver's format) gives it, with virtual names only.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  nonResourceURLs: ["/version"]
- level: RequestResponse
  resources: [{group: "", resources: ["configmaps"]}]
- level: Request
  verbs: [create]
  resources: [{group: "", resources: ["namespaces"]}]
- level: Metadata
`;

interface AuditEvent {
  kind: string;
  apiVersion: string;
  level: string;
  auditID: string;
  stage: string;
  verb: string;
  requestURI: string;
  user: { username: string; groups?: string[] };
  objectRef?: { resource: string; namespace?: string; name?: string };
  responseStatus: { code: number; reason?: string };
  requestObject?: { metadata?: { name?: string; namespace?: string } };
  responseObject?: { metadata?: { name?: string; namespace?: string; uid?: string } };
  annotations?: Record<string, string>;
}

describe('audit log', () => {
  const host = inject('host');
  let env: TenantEnv;
  let dir: string;
  let logFile: string;
  const events = (file = logFile): AuditEvent[] =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as AuditEvent)
      : [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kplex-audit-'));
    logFile = path.join(dir, 'audit.log');
    writeFileSync(path.join(dir, 'policy.yaml'), POLICY);
    env = await startTenantEnv(host, [
      '--audit-log-path',
      logFile,
      '--audit-log-dir',
      path.join(dir, 'tenants'),
      '--audit-policy-file',
      path.join(dir, 'policy.yaml'),
    ]);
  });
  afterAll(async () => {
    await env?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one event per request at the policy level, with virtual names and the tenant annotation', async () => {
    const kc = await env.tenant('audited');
    kubectlOk(kc, ['create', 'namespace', 'books']);
    kubectlOk(kc, ['create', 'configmap', 'shelf', '-n', 'books', '--from-literal=a=b']);
    kubectlOk(kc, ['get', 'configmap', 'shelf', '-n', 'books', '-o', 'json']);
    expect(kubectl(kc, ['get', 'secret', 'absent', '-n', 'books']).code).not.toBe(0);
    // A watch: ResponseStarted, then ResponseComplete when it ends.
    kubectl(kc, ['get', 'configmaps', '-n', 'books', '--watch', '--request-timeout=2s']);

    const find = (pred: (e: AuditEvent) => boolean) => events().filter(pred);
    const isCm = (e: AuditEvent) =>
      e.objectRef?.resource === 'configmaps' && e.objectRef.namespace === 'books';
    await expect.poll(() => find((e) => isCm(e) && e.verb === 'watch').length, { timeout: 15_000 }).toBe(2);

    const all = events();
    for (const e of all) {
      expect(e).toMatchObject({ kind: 'Event', apiVersion: 'audit.k8s.io/v1' });
      expect(e.annotations?.['kplex.io/tenant']).toBe('audited');
      expect(['ResponseStarted', 'ResponseComplete']).toContain(e.stage);
    }
    // One ResponseComplete per request (auditIDs unique); none for /version (level None).
    const complete = all.filter((e) => e.stage === 'ResponseComplete');
    expect(new Set(complete.map((e) => e.auditID)).size).toBe(complete.length);
    expect(complete.some((e) => e.requestURI.endsWith('/version'))).toBe(false);

    const nsCreate = find((e) => e.objectRef?.resource === 'namespaces' && e.verb === 'create');
    expect(nsCreate).toHaveLength(1);
    expect(nsCreate[0]).toMatchObject({ level: 'Request', responseStatus: { code: 201 } });
    expect(nsCreate[0]!.requestObject?.metadata?.name).toBe('books');
    expect(nsCreate[0]!.responseObject).toBeUndefined();

    const cmCreate = find((e) => isCm(e) && e.verb === 'create');
    expect(cmCreate).toHaveLength(1);
    expect(cmCreate[0]).toMatchObject({
      level: 'RequestResponse',
      user: { username: 'admin' },
      responseStatus: { code: 201 },
      requestObject: { metadata: { name: 'shelf' } },
      responseObject: { metadata: { name: 'shelf', namespace: 'books' } },
    });
    const cmGet = find((e) => isCm(e) && e.verb === 'get' && e.objectRef?.name === 'shelf');
    expect(cmGet).toHaveLength(1);
    expect(cmGet[0]!.responseObject?.metadata?.uid).toBe(cmCreate[0]!.responseObject?.metadata?.uid);

    const missing = find((e) => e.objectRef?.resource === 'secrets' && e.objectRef.name === 'absent');
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatchObject({
      level: 'Metadata',
      responseStatus: { code: 404, reason: 'NotFound' },
    });
    expect(missing[0]!.requestObject).toBeUndefined();

    const watchEvents = find((e) => isCm(e) && e.verb === 'watch');
    expect(watchEvents.map((e) => e.stage)).toEqual(['ResponseStarted', 'ResponseComplete']);
    expect(watchEvents[0]!.auditID).toBe(watchEvents[1]!.auditID);

    // Never a host namespace name.
    const hostNs = kubectlOk(host.kubeconfig, [
      'get',
      'namespaces',
      '-l',
      'kplex.io/namespace=books',
      '-o',
      'name',
    ])
      .trim()
      .replace('namespace/', '');
    expect(hostNs).not.toBe('');
    expect(hostNs).not.toBe('books');
    expect(readFileSync(logFile, 'utf8')).not.toContain(hostNs);

    // The per-tenant sink holds the same lines.
    await expect.poll(() => events(path.join(dir, 'tenants', 'audited.log')).length).toBe(all.length);
  }, 120_000);

  it("keeps each tenant's events in its own file and names no file after an unknown tenant", async () => {
    const kc = await env.tenant('neighbour');
    kubectlOk(kc, ['get', 'namespaces']);
    // A request for no live tenant (and a path-like name): audited in the main log only.
    const server = kubectlOk(kc, [
      'config',
      'view',
      '--minify',
      '-o',
      'jsonpath={.clusters[0].cluster.server}',
    ]);
    const base = server.replace(/\/clusters\/neighbour$/, '');
    const status = await new Promise<number>((resolve, reject) =>
      https
        .get(`${base}/clusters/..%2f..%2fescape/api`, { rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject),
    );
    expect(status).toBe(401);
    await expect
      .poll(() => events().some((e) => e.requestURI.includes('escape') && e.responseStatus.code === 401))
      .toBe(true);
    const own = path.join(dir, 'tenants', 'neighbour.log');
    await expect.poll(() => events(own).some((e) => e.objectRef?.resource === 'namespaces')).toBe(true);
    expect(events(own).every((e) => e.annotations?.['kplex.io/tenant'] === 'neighbour')).toBe(true);
    expect(
      events(path.join(dir, 'tenants', 'audited.log')).some(
        (e) => e.annotations?.['kplex.io/tenant'] !== 'audited',
      ),
    ).toBe(false);
    expect(readdirSync(path.join(dir, 'tenants')).sort()).toEqual(['audited.log', 'neighbour.log']);
    expect(readdirSync(dir).sort()).toEqual(['audit.log', 'policy.yaml', 'tenants']);
  }, 60_000);
});
