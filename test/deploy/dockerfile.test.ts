// The Dockerfile's steps run without a container engine (deploy/dockerfile-steps.ts) in a clean
// directory: the image root it leaves serves with the image's own ENTRYPOINT, CMD and ENV.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runDockerfile, type Stage } from '../../deploy/dockerfile-steps.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';

describe('the Dockerfile, step by step', () => {
  const host = inject('host');
  const out = mkdtempSync(path.join(os.tmpdir(), 'kplex-image-'));
  const dataDir = path.join(out, 'data');
  let image: Stage;
  let app: string;
  let serve: ChildProcess | undefined;
  let port = 0;

  /** The image's command line with `args` in place of CMD, run from its WORKDIR with its ENV. */
  const run = (args: string[]) =>
    spawnSync(image.entrypoint[0]!, [...image.entrypoint.slice(1), ...args], {
      cwd: app,
      env: { ...process.env, ...image.env, KPLEX_DATA_DIR: dataDir },
      encoding: 'utf8',
    });

  beforeAll(async () => {
    image = runDockerfile(out);
    app = path.join(image.dir, image.workdir);
    // CMD (serve) as the image runs it; only where the host is and the port are added.
    serve = spawn(
      image.entrypoint[0]!,
      [...image.entrypoint.slice(1), ...image.cmd, '--host-kubeconfig', host.kubeconfig, '--port', '0'],
      {
        cwd: app,
        env: { ...process.env, ...image.env, KPLEX_DATA_DIR: dataDir },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    port = await new Promise<number>((resolve, reject) => {
      let buf = '';
      serve?.stderr?.on('data', (d: Buffer) => {
        buf += d.toString();
        const m =
          /"msg":"serving"/.test(buf) && /"port":(\d+)/.exec(buf.slice(buf.indexOf('"msg":"serving"') - 300));
        if (m) resolve(Number(m[1]));
      });
      serve?.once('exit', (code) => reject(new Error(`serve exited ${code}: ${buf}`)));
    });
  }, 1_200_000);
  afterAll(() => {
    serve?.kill();
    rmSync(out, { recursive: true, force: true });
  });

  it('leaves what the image holds: the build, production dependencies, migrations, no sources', () => {
    for (const p of ['dist/cli/main.js', 'package.json', 'storage/migrations', 'node_modules/better-sqlite3'])
      expect(existsSync(path.join(app, p)), p).toBe(true);
    for (const p of ['src', 'node_modules/vitest', 'node_modules/typescript', 'node_modules/tsx'])
      expect(existsSync(path.join(app, p)), p).toBe(false);
    expect(image.entrypoint).toEqual(['node', 'dist/cli/main.js']);
    expect(image.cmd).toEqual(['serve']);
  });

  it('answers --help for every command', () => {
    for (const args of [['--help'], ['serve', '--help'], ['tenant', '--help'], ['kubeconfig', '--help']]) {
      const r = run(args);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('Usage: kplex');
    }
    expect(run(['serve', '--help']).stdout).toContain('--metrics-listen');
  });

  it("serves with the image's ENV (all addresses, its data dir) and a tenant works through it", async () => {
    const dispatcher = new Agent({ connect: { ca: readFileSync(path.join(dataDir, 'pki', 'ca.crt')) } });
    try {
      const res = await request(`https://127.0.0.1:${port}/readyz`, { dispatcher });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe('ok');
    } finally {
      await dispatcher.close();
    }
    const tenants = run(['tenant', 'list', '--host-kubeconfig', host.kubeconfig]);
    if (!tenants.stdout.split('\n').includes('image-t'))
      expect(run(['tenant', 'create', 'image-t', '--host-kubeconfig', host.kubeconfig]).status).toBe(0);
    const kc = run([
      'kubeconfig',
      'image-t',
      '--host-kubeconfig',
      host.kubeconfig,
      '--server',
      `https://127.0.0.1:${port}`,
      '--group',
      'system:masters',
    ]);
    expect(kc.status, kc.stderr).toBe(0);
    const file = path.join(out, 'image-t.kubeconfig');
    writeFileSync(file, kc.stdout);
    for (let i = 0; i < 150 && kubectl(file, ['get', '--raw', '/version']).code !== 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(kubectlOk(file, ['get', 'namespaces', '-o', 'name'])).toContain('namespace/default');
    kubectlOk(file, ['create', 'clusterrole', 'image-check', '--verb=get', '--resource=pods']);
    expect(kubectlOk(file, ['get', 'clusterrole', 'image-check', '-o', 'name'])).toBe(
      'clusterrole.rbac.authorization.k8s.io/image-check\n',
    );
  });
});
