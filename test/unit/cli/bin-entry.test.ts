// bin/kplex.js: which CLI entry it runs (compiled or source), and that it runs from a clone.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
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
  it('answers --help for the program and a subcommand', () => {
    const bin = path.resolve(import.meta.dirname, '../../../bin/kplex.js');
    const root = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(root.status, root.stderr).toBe(0);
    expect(root.stdout).toMatch(/^Usage: kplex /);
    const tenant = spawnSync(process.execPath, [bin, 'tenant', '--help'], { encoding: 'utf8' });
    expect(tenant.status, tenant.stderr).toBe(0);
    expect(tenant.stdout).toMatch(/^Usage: kplex tenant /);
    expect(tenant.stdout).toMatch(/create .*<name>/);
  }, 60_000); // two Node starts through tsx on a busy machine
});
