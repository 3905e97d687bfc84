#!/usr/bin/env node
// `kplex` as npm links it (package.json "bin"): the compiled CLI when it is built and current,
// else the TypeScript sources through tsx, so `npx kplex` works right after `npm ci`.
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chooseEntry, mtimeOf, newestSourceMtime } from './entry.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist', 'cli', 'main.js');
const source = path.join(root, 'src', 'cli', 'main.ts');

/** tsx's in-process loader, or undefined when tsx is not installed (a production install). */
async function tsxApi() {
  try {
    return await import('tsx/esm/api');
  } catch {
    return undefined;
  }
}

const newestSource = mtimeOf(source) === undefined ? undefined : newestSourceMtime(path.join(root, 'src'));
const distMtime = mtimeOf(dist);
// Only look for tsx when the build will not do.
const tsx =
  newestSource !== undefined && (distMtime === undefined || distMtime < newestSource)
    ? await tsxApi()
    : undefined;
const choice = chooseEntry({ distMtime, newestSourceMtime: newestSource, tsx: tsx !== undefined });
if (choice.warning) process.stderr.write(`kplex: ${choice.warning}\n`);
if (choice.run === 'none') process.exit(1);
if (choice.run === 'source') tsx.register();
// main.js/main.ts read process.argv as `kplex` was given it: [node, this file, ...args].
await import(pathToFileURL(choice.run === 'dist' ? dist : source).href);
