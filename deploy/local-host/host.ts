// The local host cluster: real etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
// kwok (fake nodes) on 127.0.0.1, each a child process of its own with logs and a pid file in
// the host's directory. Used by `npm run host:up|down` and by the integration tests' global setup.
import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCA, issueCert } from '../../src/pki/certs.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface HostOptions {
  /** Directory for certificates, etcd data, logs, pid files and the kubeconfig. */
  dir: string;
  /** Fake nodes kwok manages. */
  nodes?: number;
  log?: (line: string) => void;
}

export interface HostState {
  dir: string;
  kubeconfig: string;
  server: string;
  version: string;
  ports: Record<string, number>;
  pids: Record<string, number>;
  kwokServer: string;
}

const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;

/** Builds (once) and returns the directory holding the host binaries. */
export function ensureBinaries(log: (l: string) => void = console.log): string {
  const script = path.join(here, 'build.sh');
  const dir = execFileSync('bash', [script, '--print-dir'], { encoding: 'utf8' }).trim();
  if (!COMPONENTS.every((c) => existsSync(path.join(dir, c)))) {
    log('host binaries missing: building them once (progress follows)');
    execFileSync('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return dir;
}

/** A port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function statePath(dir: string): string {
  return path.join(dir, 'state.json');
}

export function readState(dir: string): HostState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(dir), 'utf8')) as HostState;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A request to the host with the admin client certificate; resolves status and body. */
export function hostRequest(
  state: Pick<HostState, 'dir' | 'server'>,
  method: string,
  urlPath: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  const pki = path.join(state.dir, 'pki');
  const url = new URL(urlPath, state.server);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: readFileSync(path.join(pki, 'ca.crt')),
        cert: readFileSync(path.join(pki, 'admin.crt')),
        key: readFileSync(path.join(pki, 'admin.key')),
        headers: body ? { 'Content-Type': 'application/json' } : {},
        timeout: 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

/** True when the host in `dir` runs and answers /readyz. */
export async function isUp(dir: string): Promise<boolean> {
  const state = readState(dir);
  if (!state || !Object.values(state.pids).every(alive)) return false;
  try {
    return (await hostRequest(state, 'GET', '/readyz')).status === 200;
  } catch {
    return false;
  }
}

async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  died?: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    const dead = died?.();
    if (dead) throw new Error(`${what}: ${dead}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function writePki(dir: string): Promise<void> {
  const pki = path.join(dir, 'pki');
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  const ca = await createCA('kplex-local-host-ca');
  const serving = await issueCert(ca, {
    commonName: 'kube-apiserver',
    server: true,
    dnsNames: [
      'localhost',
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
    ],
    ipAddresses: ['127.0.0.1', '10.96.0.1'],
  });
  const admin = await issueCert(ca, {
    commonName: 'kubernetes-admin',
    organizations: ['system:masters'],
    client: true,
    server: true,
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  // The apiserver's identity towards admission webhooks (kplex's pod webhook trusts this CA only).
  const webhookCA = await createCA('kplex-local-host-webhook-client-ca');
  const webhookClient = await issueCert(webhookCA, {
    commonName: 'kube-apiserver-webhook-client',
    client: true,
  });
  const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const files: Record<string, string> = {
    'ca.crt': ca.cert,
    'ca.key': ca.key,
    'apiserver.crt': serving.cert,
    'apiserver.key': serving.key,
    'admin.crt': admin.cert,
    'admin.key': admin.key,
    [WEBHOOK_CLIENT_CA]: webhookCA.cert,
    'webhook-client.crt': webhookClient.cert,
    'webhook-client.key': webhookClient.key,
    'sa.key': sa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    'sa.pub': sa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  for (const [name, content] of Object.entries(files))
    writeFileSync(path.join(pki, name), content, { mode: 0o600 });
}

/** The CA that signs the host apiserver's webhook client certificate (kplex serve --webhook-client-ca). */
const WEBHOOK_CLIENT_CA = 'webhook-client-ca.crt';
/**
 * The taint of the local stack's node for tenant DNS tests (`npm run up`): pods land there only when
 * they tolerate it. Conformance runs name it non-blocking, as Sonobuoy users do for such nodes.
 */
export const DNS_TEST_TAINT = 'kplex.io/dns-test';

export const webhookClientCA = (state: Pick<HostState, 'dir'>): string =>
  path.join(state.dir, 'pki', WEBHOOK_CLIENT_CA);

/**
 * The apiserver's --admission-control-config-file: both webhook admission plugins read a
 * kubeconfig whose user `*` (any webhook host; kplex's port is only known later) presents the
 * webhook client certificate, so webhooks can tell the apiserver from anyone else.
 */
function writeAdmissionConfig(dir: string): string {
  const pki = (f: string): string => path.join(dir, 'pki', f);
  const kubeconfigFile = path.join(dir, 'webhook-kubeconfig.yaml');
  writeFileSync(
    kubeconfigFile,
    [
      'apiVersion: v1',
      'kind: Config',
      'users:',
      "- name: '*'",
      '  user:',
      `    client-certificate: ${JSON.stringify(pki('webhook-client.crt'))}`,
      `    client-key: ${JSON.stringify(pki('webhook-client.key'))}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const plugin = (name: string): string[] => [
    `- name: ${name}`,
    '  configuration:',
    '    apiVersion: apiserver.config.k8s.io/v1',
    '    kind: WebhookAdmissionConfiguration',
    `    kubeConfigFile: ${JSON.stringify(kubeconfigFile)}`,
  ];
  const file = path.join(dir, 'admission-config.yaml');
  writeFileSync(
    file,
    [
      'apiVersion: apiserver.config.k8s.io/v1',
      'kind: AdmissionConfiguration',
      'plugins:',
      ...plugin('ValidatingAdmissionWebhook'),
      ...plugin('MutatingAdmissionWebhook'),
      '',
    ].join('\n'),
  );
  return file;
}

function kubeconfig(dir: string, server: string): string {
  const b64 = (f: string): string => readFileSync(path.join(dir, 'pki', f)).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
- name: kplex-local-host
  cluster:
    server: ${server}
    certificate-authority-data: ${b64('ca.crt')}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: ${b64('admin.crt')}
    client-key-data: ${b64('admin.key')}
contexts:
- name: kplex-local-host
  context:
    cluster: kplex-local-host
    user: kubernetes-admin
current-context: kplex-local-host
`;
}

/** Starts a fresh host in `opts.dir` (whatever ran there before is stopped and wiped). */
/**
 * kwok serves `kubectl logs` and `kubectl exec` for its fake pods from this configuration: every
 * container's log is one file in CRI format (appending to it feeds `logs -f`), and exec runs the
 * command on this machine in the host directory (the fake pods have no filesystem of their own);
 * a port-forward to any port of a fake pod is an echo (`cat`).
 */
export function writeKwokConfig(dir: string): string {
  const kwokDir = path.join(dir, 'kwok');
  mkdirSync(kwokDir, { recursive: true });
  const logFile = path.join(kwokDir, 'container.log');
  writeFileSync(
    logFile,
    [
      '2024-01-01T00:00:00Z stdout F kwok fake container started',
      '2024-01-01T00:00:01Z stdout F serving requests',
      '',
    ].join('\n'),
  );
  const config = [
    'kind: ClusterLogs',
    'apiVersion: kwok.x-k8s.io/v1alpha1',
    'metadata:',
    '  name: cluster-logs',
    'spec:',
    '  logs:',
    `  - logsFile: ${JSON.stringify(logFile)}`,
    '    follow: true',
    '---',
    'kind: ClusterExec',
    'apiVersion: kwok.x-k8s.io/v1alpha1',
    'metadata:',
    '  name: cluster-exec',
    'spec:',
    '  execs:',
    '  - local:',
    `      workDir: ${JSON.stringify(kwokDir)}`,
    '---',
    'kind: ClusterPortForward',
    'apiVersion: kwok.x-k8s.io/v1alpha1',
    'metadata:',
    '  name: cluster-port-forward',
    'spec:',
    '  forwards:',
    '  - command: ["cat"]',
    '',
  ].join('\n');
  const file = path.join(kwokDir, 'config.yaml');
  writeFileSync(file, config);
  return file;
}

export async function startHost(opts: HostOptions): Promise<HostState> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const started = Date.now();
  const bin = ensureBinaries(log);
  await stopHost(opts.dir);
  rmSync(opts.dir, { recursive: true, force: true });
  mkdirSync(path.join(opts.dir, 'logs'), { recursive: true });
  await writePki(opts.dir);
  const pki = (f: string): string => path.join(opts.dir, 'pki', f);

  const ports = {
    etcdClient: await freePort(),
    etcdPeer: await freePort(),
    apiserver: await freePort(),
    controllerManager: await freePort(),
    scheduler: await freePort(),
    kwok: await freePort(),
  };
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const kubeconfigPath = path.join(opts.dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig(opts.dir, server), { mode: 0o600 });
  const version =
    execFileSync(path.join(bin, 'kube-apiserver'), ['--version'], { encoding: 'utf8' })
      .trim()
      .split(' ')
      .pop() ?? '';

  const pids: Record<string, number> = {};
  const state: HostState = {
    dir: opts.dir,
    kubeconfig: kubeconfigPath,
    server,
    version,
    ports,
    pids,
    kwokServer: `https://127.0.0.1:${ports.kwok}`,
  };
  const save = (): void => writeFileSync(statePath(opts.dir), JSON.stringify(state, null, 2));
  const launch = (name: string, args: string[]): void => {
    const out = openSync(path.join(opts.dir, 'logs', `${name}.log`), 'a');
    const child = spawn(path.join(bin, name), args, { detached: true, stdio: ['ignore', out, out] });
    child.unref();
    if (!child.pid) throw new Error(`could not start ${name}`);
    pids[name] = child.pid;
    save();
  };
  const deadComponent = (): string | undefined => {
    const dead = Object.entries(pids).find(([, pid]) => !alive(pid));
    if (!dead) return undefined;
    const logFile = path.join(opts.dir, 'logs', `${dead[0]}.log`);
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
    return `${dead[0]} exited; last log lines (${logFile}):\n${tail}`;
  };

  try {
    launch('etcd', [
      '--name=kplex-local-host',
      `--data-dir=${path.join(opts.dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${ports.etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${ports.etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
      `--initial-cluster=kplex-local-host=http://127.0.0.1:${ports.etcdPeer}`,
      '--unsafe-no-fsync', // a throwaway test cluster: durability of etcd itself is not under test
      '--quota-backend-bytes=4294967296',
      '--log-level=warn',
    ]);
    launch('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${ports.apiserver}`,
      `--tls-cert-file=${pki('apiserver.crt')}`,
      `--tls-private-key-file=${pki('apiserver.key')}`,
      `--client-ca-file=${pki('ca.crt')}`,
      `--kubelet-client-certificate=${pki('admin.crt')}`,
      `--kubelet-client-key=${pki('admin.key')}`,
      `--kubelet-certificate-authority=${pki('ca.crt')}`,
      '--kubelet-preferred-address-types=InternalIP',
      `--proxy-client-cert-file=${pki('admin.crt')}`,
      `--proxy-client-key-file=${pki('admin.key')}`,
      `--requestheader-client-ca-file=${pki('ca.crt')}`,
      '--requestheader-allowed-names=',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--service-account-key-file=${pki('sa.pub')}`,
      `--service-account-signing-key-file=${pki('sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--api-audiences=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--authorization-mode=Node,RBAC',
      `--admission-control-config-file=${writeAdmissionConfig(opts.dir)}`,
      '--allow-privileged=true',
      '--endpoint-reconciler-type=none', // the advertise address is loopback: no kubernetes endpoints
      '--v=1',
    ]);
    await waitFor(
      'kube-apiserver /readyz',
      90_000,
      async () => (await hostRequest(state, 'GET', '/readyz')).status === 200,
      deadComponent,
    );
    launch('kube-controller-manager', [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${ports.controllerManager}`,
      '--leader-elect=false',
      '--controllers=*',
      `--root-ca-file=${pki('ca.crt')}`,
      `--service-account-private-key-file=${pki('sa.key')}`,
      `--cluster-signing-cert-file=${pki('ca.crt')}`,
      `--cluster-signing-key-file=${pki('ca.key')}`,
      '--use-service-account-credentials=true',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--node-monitor-grace-period=40s',
      '--v=1',
    ]);
    launch('kube-scheduler', [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${ports.scheduler}`,
      '--leader-elect=false',
      '--v=1',
    ]);
    launch('kwok', [
      `--config=${writeKwokConfig(opts.dir)}`,
      `--kubeconfig=${kubeconfigPath}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      `--tls-cert-file=${pki('admin.crt')}`,
      `--tls-private-key-file=${pki('admin.key')}`,
      '--node-ip=127.0.0.1',
      `--node-port=${ports.kwok}`,
      `--server-address=127.0.0.1:${ports.kwok}`,
      '--node-lease-duration-seconds=40',
      '--cidr=10.244.0.1/16',
    ]);
    for (let i = 0; i < (opts.nodes ?? 2); i++) {
      const name = `kwok-node-${i}`;
      const res = await hostRequest(state, 'POST', '/api/v1/nodes', fakeNode(name));
      if (res.status !== 201 && res.status !== 409)
        throw new Error(`creating node ${name}: ${res.status} ${res.body}`);
    }
    await waitFor(
      'fake nodes Ready',
      60_000,
      async () => {
        const nodes = JSON.parse((await hostRequest(state, 'GET', '/api/v1/nodes')).body) as {
          items: { status?: { conditions?: { type: string; status: string }[] } }[];
        };
        return (
          nodes.items.filter((n) =>
            n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
          ).length >= (opts.nodes ?? 2)
        );
      },
      deadComponent,
    );
    await waitFor(
      'the default ServiceAccount (controllers running)',
      60_000,
      async () =>
        (await hostRequest(state, 'GET', '/api/v1/namespaces/default/serviceaccounts/default')).status ===
        200,
      deadComponent,
    );
  } catch (err) {
    await stopHost(opts.dir);
    throw err;
  }
  log(
    `local host ${version} ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ${server} (kubeconfig ${kubeconfigPath})`,
  );
  return state;
}

function fakeNode(name: string): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    spec: {},
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion: 'fake',
        kubeProxyVersion: 'fake',
      },
    },
  };
}

/** Stops every component of the host in `dir` (TERM, then KILL after 5 s). Idempotent. */
export async function stopHost(dir: string): Promise<boolean> {
  const state = readState(dir);
  if (!state) return false;
  // Reverse start order: clients before the apiserver, the apiserver before etcd.
  const order = [...COMPONENTS].reverse().filter((c) => state.pids[c]);
  for (const name of order) {
    const pid = state.pids[name];
    if (pid && alive(pid)) process.kill(pid, 'SIGTERM');
  }
  const deadline = Date.now() + 5000;
  while (order.some((n) => alive(state.pids[n] ?? 0)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  for (const name of order) {
    const pid = state.pids[name];
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(statePath(dir), { force: true });
  return true;
}
