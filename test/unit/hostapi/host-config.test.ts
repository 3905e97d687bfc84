// Finding the host as kubectl does, and in a pod through its ServiceAccount (a fake mounted dir).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { HostClient } from '../../../src/hostapi/host-client.js';
import { loadHostConnection } from '../../../src/hostapi/host-config.js';

describe('loadHostConnection', () => {
  let dir: string;
  let saDir: string;
  let home: string;
  const inPod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

  const kubeconfig = (name: string, server: string, file = path.join(dir, name)): string => {
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'u', user: { token: `token-of-${name}` } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    return file;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kplex-hostcfg-'));
    saDir = path.join(dir, 'sa');
    home = path.join(dir, 'home');
    mkdirSync(saDir);
    mkdirSync(home);
    writeFileSync(path.join(saDir, 'token'), 'sa-token-1\n');
    writeFileSync(path.join(saDir, 'ca.crt'), 'the-ca');
    writeFileSync(path.join(saDir, 'namespace'), 'kplex-system');
  });
  afterEach(() => {
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it("in a pod without a kubeconfig, uses the ServiceAccount's token and CA and the service env", async () => {
    const conn = await loadHostConnection(undefined, { env: inPod, home, serviceAccountDir: saDir });
    expect(conn.server).toBe('https://10.96.0.1:443');
    expect(conn.token).toBe('sa-token-1');
    expect(String(conn.ca)).toBe('the-ca');
    expect(conn.insecureSkipTLSVerify).toBeUndefined();
  });

  it('brackets an IPv6 service address', async () => {
    const env = { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' };
    const conn = await loadHostConnection(undefined, { env, home, serviceAccountDir: saDir });
    expect(conn.server).toBe('https://[fd00::1]:6443');
  });

  it('re-reads the rotated token, at most once a minute, and sends it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const conn = await loadHostConnection(undefined, { env: inPod, home, serviceAccountDir: saDir });
    const client = new HostClient({ ...conn, ca: undefined, token: undefined });
    Object.defineProperty(client, 'conn', { value: conn });
    writeFileSync(path.join(saDir, 'token'), 'sa-token-2\n');
    expect(client.headers().authorization).toBe('Bearer sa-token-1');
    vi.advanceTimersByTime(61_000);
    expect(client.headers().authorization).toBe('Bearer sa-token-2');
    // A failed read (file briefly missing) keeps the last token.
    rmSync(path.join(saDir, 'token'));
    vi.advanceTimersByTime(61_000);
    expect(conn.token).toBe('sa-token-2');
    await client.close();
  });

  it('prefers, as kubectl: the given file, then $KUBECONFIG, then ~/.kube/config, then the pod', async () => {
    const given = kubeconfig('given', 'https://given:1');
    const envFile = kubeconfig('env', 'https://env:2');
    mkdirSync(path.join(home, '.kube'));
    kubeconfig('home', 'https://home:3', path.join(home, '.kube', 'config'));
    const src = { env: { ...inPod, KUBECONFIG: envFile }, home, serviceAccountDir: saDir };
    expect((await loadHostConnection(given, src)).server).toBe('https://given:1');
    expect((await loadHostConnection(undefined, src)).server).toBe('https://env:2');
    expect((await loadHostConnection(undefined, src)).token).toBe('token-of-env');
    expect((await loadHostConnection(undefined, { ...src, env: inPod })).server).toBe('https://home:3');
  });

  it('says what to do when there is no host at all (never a localhost default)', async () => {
    rmSync(path.join(saDir, 'token'));
    await expect(
      loadHostConnection(undefined, { env: inPod, home, serviceAccountDir: saDir, cwd: dir }),
    ).rejects.toThrow(/no host cluster: give --host-kubeconfig/);
    await expect(
      loadHostConnection(undefined, { env: {}, home, serviceAccountDir: saDir, cwd: dir }),
    ).rejects.toThrow(/npm run up: \.kplex\/host\/kubeconfig/);
  });

  it("uses the local stack's kubeconfig in the current directory last, after the pod", async () => {
    mkdirSync(path.join(dir, '.kplex', 'host'), { recursive: true });
    kubeconfig('local', 'https://local:4', path.join(dir, '.kplex', 'host', 'kubeconfig'));
    const src = { env: {}, home, serviceAccountDir: saDir, cwd: dir };
    expect((await loadHostConnection(undefined, src)).server).toBe('https://local:4');
    expect((await loadHostConnection(undefined, { ...src, env: inPod })).server).toBe(
      'https://10.96.0.1:443',
    );
    mkdirSync(path.join(home, '.kube'));
    kubeconfig('home', 'https://home:3', path.join(home, '.kube', 'config'));
    expect((await loadHostConnection(undefined, src)).server).toBe('https://home:3');
  });
});
