// Which CLI entry `bin/kplex.js` runs. Plain JavaScript: it must work before anything is built.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The compiled CLI when it exists and is at least as new as every source; else the sources
 * through tsx when tsx is installed (a fresh clone after `npm ci`); else a stale build (with a
 * warning) rather than nothing; else an error saying how to build. The image ships dist/ without
 * src/ and without tsx: there the build is always the choice.
 *
 * @param {{ distMtime?: number, newestSourceMtime?: number, tsx: boolean }} s
 * @returns {{ run: 'dist' | 'source' | 'none', warning?: string }}
 */
export function chooseEntry(s) {
  const hasSource = s.newestSourceMtime !== undefined;
  if (s.distMtime !== undefined && (!hasSource || s.distMtime >= s.newestSourceMtime)) return { run: 'dist' };
  if (hasSource && s.tsx) return { run: 'source' };
  if (s.distMtime !== undefined)
    return { run: 'dist', warning: 'dist/ is older than src/ and tsx is not installed: `npm run build`' };
  return {
    run: 'none',
    warning: hasSource
      ? 'not built and tsx is not installed: `npm ci` (installs tsx) or `npm run build`'
      : 'neither dist/cli/main.js nor src/cli/main.ts found',
  };
}

/** Modification time of a file, undefined when it does not exist. */
export function mtimeOf(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The newest modification time of the .ts files under `dir` (undefined: none, or no dir). */
export function newestSourceMtime(dir) {
  let newest;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    const t = e.isDirectory() ? newestSourceMtime(p) : e.name.endsWith('.ts') ? mtimeOf(p) : undefined;
    if (t !== undefined && (newest === undefined || t > newest)) newest = t;
  }
  return newest;
}
