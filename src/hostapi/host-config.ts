// Where the host cluster is and how to authenticate to it: a kubeconfig file, the in-cluster
// service account, or $KUBECONFIG. Parsed with @kubernetes/client-node so every kubeconfig form
// (files or inline data, tokens or client certificates) works.
import type { RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

export interface HostConnection {
  server: string;
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  token?: string;
  insecureSkipTLSVerify?: boolean;
}

export async function loadHostConnection(kubeconfigPath?: string): Promise<HostConnection> {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
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
