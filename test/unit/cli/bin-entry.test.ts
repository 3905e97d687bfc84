// bin/kplex.js: which CLI entry it runs (compiled or source), and that it runs from a clone.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseEntry, newestSourceMtime } from '../../../bin/entry.js';

describe('chooseEntry', () => {
  it('runs the build when it is at least as new as every source', () => {
    expect(chooseEntry({ distMtime: 200, newestSourceMtime: 100, tsx: true })).toEqual({ run: 'dist' });
    expect(chooseEntry({ distMtime: 100, newestSourceMtime: 100, tsx: true })).toEqual({ run: 'dist' });
  });
  it('runs the build where there are no sources (the image: dist/ only, no tsx)', () => {
    expect(chooseEntry({ distMtime: 1, tsx: false })).toEqual({ run: 'dist' });
  });
  it('runs the sources through tsx when there is no build (a fresh clone after npm ci)', () => {
    expect(chooseEntry({ newestSourceMtime: 100, tsx: true })).toEqual({ run: 'source' });
  });
  it('runs the sources when the build is older than one of them', () => {
    expect(chooseEntry({ distMtime: 99, newestSourceMtime: 100, tsx: true })).toEqual({ run: 'source' });
  });
  it('runs a stale build with a warning when tsx is not installed', () => {
    const c = chooseEntry({ distMtime: 99, newestSourceMtime: 100, tsx: false });
    expect(c.run).toBe('dist');
    expect(c.warning).toMatch(/npm run build/);
  });
  it('says how to build when there is nothing to run', () => {
    expect(chooseEntry({ newestSourceMtime: 100, tsx: false })).toMatchObject({
      run: 'none',
      warning: expect.stringMatching(/npm ci/),
    });
    expect(chooseEntry({ tsx: false }).run).toBe('none');
  });
});

describe('newestSourceMtime', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kplex-bin-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is the newest .ts file anywhere below the directory; other files do not count', () => {
    mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
    const file = (p: string, t: number) => {
      writeFileSync(path.join(dir, p), '');
      utimesSync(path.join(dir, p), t, t);
    };
    file('x.ts', 1000);
    file('a/b/y.ts', 3000);
    file('a/z.json', 5000);
    expect(newestSourceMtime(dir)).toBe(3000 * 1000);
    expect(newestSourceMtime(path.join(dir, 'missing'))).toBeUndefined();
  });
});

describe('bin/kplex.js', () => {
  const repo = path.resolve(import.meta.dirname, '../../..');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kplex-shim-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** A checkout with the real shim, a stand-in build and source (each prints its name) and optionally tsx. */
  function checkout(name: string, o: { dist?: number; source?: number; tsx: boolean }): string {
    const root = path.join(tmp, name);
    mkdirSync(path.join(root, 'bin'), { recursive: true });
    for (const f of ['kplex.js', 'entry.js'])
      copyFileSync(path.join(repo, 'bin', f), path.join(root, 'bin', f));
    writeFileSync(path.join(root, 'package.json'), '{"type":"module"}');
    const file = (p: string, body: string, t: number) => {
      mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
      writeFileSync(path.join(root, p), body);
      utimesSync(path.join(root, p), t, t);
    };
    if (o.dist !== undefined)
      file('dist/cli/main.js', "console.log('dist', process.argv.slice(2).join(' '));", o.dist);
    // type syntax: it runs only through tsx
    if (o.source !== undefined)
      file(
        'src/cli/main.ts',
        "const n: string = 'source'; console.log(n, process.argv.slice(2).join(' '));",
        o.source,
      );
    if (o.tsx) symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'));
    return root;
  }
  const run = (root: string) =>
    spawnSync(process.execPath, [path.join(root, 'bin', 'kplex.js'), 'tenant', 'list'], { encoding: 'utf8' });

  it('runs a current build, else the sources through tsx, else a stale build with a warning', () => {
    const current = run(checkout('current', { dist: 2000, source: 1000, tsx: true }));
    expect(current.stdout).toBe('dist tenant list\n');
    const stale = run(checkout('stale', { dist: 1000, source: 2000, tsx: true }));
    expect(stale.stdout).toBe('source tenant list\n');
    const image = run(checkout('image', { dist: 1000, tsx: false }));
    expect([image.stdout, image.stderr]).toEqual(['dist tenant list\n', '']);
    const noTsx = run(checkout('no-tsx', { dist: 1000, source: 2000, tsx: false }));
    expect(noTsx.stdout).toBe('dist tenant list\n');
    expect(noTsx.stderr).toMatch(/older than src.*npm run build/);
    const nothing = run(checkout('nothing', { source: 2000, tsx: false }));
    expect(nothing.status).toBe(1);
    expect(nothing.stderr).toMatch(/not built/);
  }, 60_000);

  it('answers --help for the program and a subcommand', () => {
    const bin = path.join(repo, 'bin', 'kplex.js');
    const root = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(root.status, root.stderr).toBe(0);
    expect(root.stdout).toMatch(/^Usage: kplex /);
    const tenant = spawnSync(process.execPath, [bin, 'tenant', '--help'], { encoding: 'utf8' });
    expect(tenant.status, tenant.stderr).toBe(0);
    expect(tenant.stdout).toMatch(/^Usage: kplex tenant /);
    expect(tenant.stdout).toMatch(/create .*<name>/);
  }, 60_000); // two Node starts through tsx on a busy machine
});
