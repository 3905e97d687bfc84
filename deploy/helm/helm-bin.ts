// The helm binary for rendering and linting the chart: built once from the Go module proxy into
// the cache beside the host binaries (~/.cache/kplex/helm-<version>/bin/helm), as the local host's
// binaries are. No helm on the PATH is needed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const HELM_VERSION = 'v3.19.0';

export function helmBinary(log: (l: string) => void = () => {}): string {
  const cache = process.env.KPLEX_CACHE ?? path.join(os.homedir(), '.cache', 'kplex');
  const bin = path.join(cache, `helm-${HELM_VERSION}`, 'bin');
  const helm = path.join(bin, 'helm');
  if (existsSync(helm)) return helm;
  mkdirSync(bin, { recursive: true });
  log(`building helm ${HELM_VERSION} into ${bin} (once)`);
  execFileSync('go', ['install', `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`], {
    env: { ...process.env, GOBIN: bin, GOFLAGS: '-mod=mod' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return helm;
}

// `npx tsx deploy/helm/helm-bin.ts`: build it now (CI does, before the tests) and print its path.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  if (process.argv.includes('--help') || process.argv.includes('-h'))
    console.log(
      'Usage: npx tsx deploy/helm/helm-bin.ts\n\nBuilds helm once from the Go module proxy into the kplex cache (reused afterwards) and prints its path.',
    );
  else console.log(helmBinary(console.log));
}
