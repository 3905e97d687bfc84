// `kplex serve` as a user starts it: HTTPS with a generated certificate, health and version.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startKplex, type KplexProcess } from '../helpers/kplex-process.js';
import { Agent, request } from 'undici';

describe('kplex serve', () => {
  const host = inject('host');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kplex-serve-'));
  let kplex: KplexProcess;
  let dispatcher: Agent;

  beforeAll(async () => {
    kplex = await startKplex(['--data-dir', dataDir, '--host-kubeconfig', host.kubeconfig]);
    // Trust only the CA kplex generated into its data dir.
    dispatcher = new Agent({ connect: { ca: readFileSync(path.join(dataDir, 'pki', 'ca.crt')) } });
  });
  afterAll(async () => {
    await dispatcher?.close();
    await kplex?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers /readyz, /livez and /healthz with ok over TLS it generated', async () => {
    for (const p of ['/readyz', '/livez', '/healthz']) {
      const res = await request(`${kplex.url}${p}`, { dispatcher });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe('ok');
    }
    const verbose = await request(`${kplex.url}/readyz?verbose`, { dispatcher });
    expect(await verbose.body.text()).toContain('readyz check passed');
  });

  it('serves /version in the Kubernetes version.Info shape', async () => {
    const res = await request(`${kplex.url}/version`, { dispatcher });
    const body = (await res.body.json()) as Record<string, string>;
    expect(res.statusCode).toBe(200);
    expect(Object.keys(body)).toEqual(expect.arrayContaining(['major', 'minor', 'gitVersion', 'platform']));
  });

  it('reuses its serving certificate across restarts and exits 0 on SIGTERM', async () => {
    const cert = readFileSync(path.join(dataDir, 'pki', 'serving.crt'), 'utf8');
    expect(await kplex.stop('SIGTERM')).toBe(0);
    kplex = await startKplex(['--data-dir', dataDir, '--host-kubeconfig', host.kubeconfig]);
    expect(readFileSync(path.join(dataDir, 'pki', 'serving.crt'), 'utf8')).toBe(cert);
    const res = await request(`${kplex.url}/readyz`, { dispatcher });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });
});
