// `npm run host:up|down|status`: the local host cluster for development and the quick start,
// kept in .kplex/host (git-ignored). Both up and down are idempotent.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isUp, readState, startHost, stopHost } from './host.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = process.env.KPLEX_HOST_DIR ?? path.join(root, '.kplex', 'host');

const usage = `Usage: tsx deploy/local-host/cli.ts <up|down|status> [--nodes N]

  up       start the local host cluster (etcd, kube-apiserver, controllers, scheduler, kwok)
           in ${path.relative(process.cwd(), dir) || dir}; builds the binaries once if missing; no-op when it runs
  down     stop it; leaves no process behind; no-op when it is not running
  status   say whether it runs
  --nodes  fake nodes for kwok (default 2)
Environment: KPLEX_HOST_DIR overrides the directory; KPLEX_CACHE the binary cache.`;

async function main(): Promise<number> {
  const [cmd, ...rest] = process.argv.slice(2);
  if (!cmd || cmd === '--help' || cmd === '-h' || rest.includes('--help')) {
    console.log(usage);
    return cmd ? 0 : 2;
  }
  const nodesIdx = rest.indexOf('--nodes');
  const nodes = nodesIdx >= 0 ? Number(rest[nodesIdx + 1]) : 2;
  switch (cmd) {
    case 'up': {
      if (await isUp(dir)) {
        const s = readState(dir);
        console.log(`local host already running: ${s?.server} (kubeconfig ${s?.kubeconfig})`);
        return 0;
      }
      await startHost({ dir, nodes });
      return 0;
    }
    case 'down':
      console.log((await stopHost(dir)) ? 'local host stopped' : 'local host was not running');
      return 0;
    case 'status':
      console.log((await isUp(dir)) ? `running: ${readState(dir)?.server}` : 'not running');
      return 0;
    default:
      console.error(usage);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`host: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
