import { readFileSync } from 'node:fs';

/** kplex's own version, read from package.json so there is one source of truth. */
export const kplexVersion: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
