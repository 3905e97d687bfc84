// What a conformance run stands on: the e2e binaries, the local host, kplex serving in front of it
// and a fresh tenant with its kubeconfig. Everything goes through the project's own entry points
// (build.sh, deploy/local-host, the kplex CLI), so the runner exercises what users run.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hostRequest, isUp, readState, startHost } from '../../deploy/local-host/host.js';

export interface StackPaths {
  /** Repository root. */
  root: string;
  hostDir: string;
  hostKubeconfig: string;
  dataDir: string;
}

export function stackPaths(root: string): StackPaths {
  const hostDir = path.join(root, '.kplex', 'host');
  return {
    root,
    hostDir,
    hostKubeconfig: path.join(hostDir, 'kubeconfig'),
    dataDir: path.join(root, '.kplex', 'data'),
  };
}

/** Builds e2e.test and ginkgo once (build.sh --e2e, cached) and returns their directory. */
export function ensureE2EBinaries(root: string): string {
  const script = path.join(root, 'deploy', 'local-host', 'build.sh');
  execFileSync('bash', [script, '--e2e'], { stdio: ['ignore', 'inherit', 'inherit'] });
  return execFileSync('bash', [script, '--print-dir'], { encoding: 'utf8' }).trim();
}

/** Starts the local host unless it already runs; both runs of a conformance run use this one host. */
export async function ensureHost(p: StackPaths): Promise<void> {
  if (await isUp(p.hostDir)) console.log(`local host already running: ${readState(p.hostDir)?.server}`);
  else await startHost({ dir: p.hostDir });
}

/** The host's server version (gitVersion), for latest.json's `kubernetes`. */
export async function hostVersion(p: StackPaths): Promise<string> {
  const state = readState(p.hostDir);
  if (!state) throw new Error('local host is not running');
  const res = await hostRequest(state, 'GET', '/version');
  return (JSON.parse(res.body) as { gitVersion?: string }).gitVersion ?? state.version;
}

function tsx(
  p: StackPaths,
  args: string[],
  timeoutMs: number,
): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(path.join(p.root, 'node_modules', '.bin', 'tsx'), args, {
    cwd: p.root,
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  const stderr = (r.stderr ?? '') + (r.error ? String(r.error) : '');
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr };
}

function lastLines(s: string, n = 8): string {
  return s.trim().split('\n').slice(-n).join('\n');
}

/**
 * `npm run up`'s kplex half (the host is already up): builds kplex and starts `kplex serve`, or
 * reuses one that already answers. Returns true when reused: that server may predate the tree.
 */
export function ensureKplex(p: StackPaths): boolean {
  const r = tsx(p, [path.join('deploy', 'local-host', 'stack.ts'), 'up'], 10 * 60_000);
  process.stdout.write(r.stdout);
  if (!r.ok) throw new Error(`kplex did not start (npm run up):\n${lastLines(r.stderr || r.stdout)}`);
  return /kplex already running/.test(r.stdout);
}

/** The Tenant policy of the conformance tenant (docs: conformance/README.md). */
const CONFORMANCE_POLICY = {
  nodePorts: 100,
  loadBalancers: 10,
  allowedVolumeTypes: ['csi'],
  maxPriority: 1000000000,
  allowedRuntimeClasses: ['runc', 'test-handler'],
  nodes: { view: 'all', hostWrites: true },
  loadBalancerStatus: true,
  endpointAddresses: ['0.0.0.0/0', '::/0'],
  namespaceQuota: {},
  podSecurity: { enforce: 'privileged' },
  quota: {
    pods: '5000',
    services: '2000',
    persistentvolumeclaims: '1000',
    'requests.storage': '100Ti',
    namespaces: '2000',
  },
};

/** Creates the tenant through the kplex CLI and writes its kubeconfig (mode 0600, it holds a token). */
export function createTenant(p: StackPaths, name: string, kubeconfigFile: string): void {
  const created = tsx(
    p,
    ['src/cli/main.ts', 'tenant', 'create', name, '--host-kubeconfig', p.hostKubeconfig],
    120_000,
  );
  if (!created.ok)
    throw new Error(`kplex tenant create ${name} failed:\n${lastLines(created.stderr || created.stdout)}`);
  // What a platform team loosens for a tenant that runs the conformance suite: kplex refuses
  // NodePort and LoadBalancer Services by default (node ports are one range every tenant shares),
  // and the suite creates some (ResourceQuota's "life of a service").
  execFileSync(
    'kubectl',
    [
      '--kubeconfig',
      p.hostKubeconfig,
      'patch',
      'tenants.kplex.io',
      name,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { policy: CONFORMANCE_POLICY } }),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  // A long run outlives the default 24 h token lifetime.
  const kc = tsx(
    p,
    [
      'src/cli/main.ts',
      'kubeconfig',
      name,
      '--data-dir',
      p.dataDir,
      '--host-kubeconfig',
      p.hostKubeconfig,
      '--group',
      'system:masters',
      '--ttl',
      '7d',
    ],
    60_000,
  );
  if (!kc.ok) throw new Error(`kplex kubeconfig ${name} failed:\n${lastLines(kc.stderr || kc.stdout)}`);
  mkdirSync(path.dirname(kubeconfigFile), { recursive: true });
  writeFileSync(kubeconfigFile, kc.stdout, { mode: 0o600 });
}

/** Deletes the tenant; a failure is reported, not thrown (the results matter more). */
export function deleteTenant(p: StackPaths, name: string): void {
  const r = tsx(
    p,
    ['src/cli/main.ts', 'tenant', 'delete', name, '--host-kubeconfig', p.hostKubeconfig],
    120_000,
  );
  console.log(
    r.ok
      ? `tenant ${name} deleted`
      : `could not delete tenant ${name}: ${lastLines(r.stderr || r.stdout, 3)}`,
  );
}

/** The kplex commit under test. */
export function gitCommit(root: string): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
