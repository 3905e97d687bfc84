// Where the host cluster is and how to authenticate to it, found as kubectl finds it: the given
// kubeconfig file, else $KUBECONFIG, else ~/.kube/config, else the pod's ServiceAccount (in-cluster:
// KUBERNETES_SERVICE_HOST/PORT and the mounted token and CA), else, last, the local stack of the
// current directory (`npm run up` writes .kplex/host/kubeconfig). Kubeconfigs are parsed with
// @kubernetes/client-node so every form (files or inline data, tokens or client certificates) works.
import { existsSync, readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export interface HostConnection {
  server: string;
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  token?: string;
  insecureSkipTLSVerify?: boolean;
}

/** Where the kubelet mounts a pod's ServiceAccount token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The kubelet rewrites the projected token well before it expires; re-read it as client-go does. */
const TOKEN_REREAD_MS = 60_000;

/** Where to look besides the arguments (the process's own by default; tests give their own). */
export interface HostConfigSources {
  env?: NodeJS.ProcessEnv;
  home?: string;
  serviceAccountDir?: string;
  cwd?: string;
}

/** The host kubeconfig `npm run up` writes, relative to the checkout it ran in. */
export const LOCAL_STACK_KUBECONFIG = path.join('.kplex', 'host', 'kubeconfig');

export async function loadHostConnection(
  kubeconfigPath?: string,
  src: HostConfigSources = {},
): Promise<HostConnection> {
  const env = src.env ?? process.env;
  if (kubeconfigPath) return fromKubeConfig([kubeconfigPath]);
  const fromEnv = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  if (fromEnv.length) return fromKubeConfig(fromEnv);
  const home = path.join(src.home ?? os.homedir(), '.kube', 'config');
  if (existsSync(home)) return fromKubeConfig([home]);
  const inCluster = inClusterConnection(env, src.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
  if (inCluster) return inCluster;
  // Last, so that anything kubectl would use wins over a local stack left in the directory.
  const local = path.resolve(src.cwd ?? process.cwd(), LOCAL_STACK_KUBECONFIG);
  if (existsSync(local)) return fromKubeConfig([local]);
  throw new Error(
    `no host cluster: give --host-kubeconfig, set KUBECONFIG, write ~/.kube/config, run in a pod with a ServiceAccount, or start the local stack here (npm run up: ${LOCAL_STACK_KUBECONFIG})`,
  );
}

/** The pod's ServiceAccount connection, when kplex runs in a pod (undefined otherwise). */
export function inClusterConnection(env: NodeJS.ProcessEnv, dir: string): HostConnection | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = path.join(dir, 'token');
  if (!host || !port || !existsSync(tokenFile)) return undefined;
  const read = (): string => readFileSync(tokenFile, 'utf8').trim();
  let token = read();
  let readAt = Date.now();
  const conn: HostConnection = {
    server: `https://${net.isIPv6(host) ? `[${host}]` : host}:${port}`,
    ca: readFileSync(path.join(dir, 'ca.crt')),
  };
  Object.defineProperty(conn, 'token', {
    enumerable: true,
    get(): string {
      if (Date.now() - readAt >= TOKEN_REREAD_MS) {
        readAt = Date.now();
        try {
          token = read();
        } catch {
          // keep the last token: the file is replaced atomically, a failed read is transient
        }
      }
      return token;
    },
  });
  return conn;
}

async function fromKubeConfig(files: string[]): Promise<HostConnection> {
  const kc = new KubeConfig();
  kc.loadFromFile(files[0] ?? '');
  for (const f of files.slice(1)) {
    const more = new KubeConfig();
    more.loadFromFile(f);
    kc.mergeConfig(more);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the host kubeconfig names no current cluster');
  const opts: RequestOptions & { headers?: Record<string, string> } = {};
  await kc.applyToHTTPSOptions(opts);
  const auth =
    (opts.headers as Record<string, string> | undefined)?.Authorization ??
    (opts.headers as Record<string, string> | undefined)?.authorization;
  return {
    server: cluster.server.replace(/\/+$/, ''),
    ca: opts.ca as string | Buffer | undefined,
    cert: opts.cert as string | Buffer | undefined,
    key: opts.key as string | Buffer | undefined,
    token: auth?.startsWith('Bearer ') ? auth.slice(7) : undefined,
    insecureSkipTLSVerify: cluster.skipTLSVerify,
  };
}
