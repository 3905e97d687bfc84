// `kplex serve` configuration: every field has a flag and a KPLEX_* environment variable
// (flags win), declared once here and turned into commander options by the CLI.
import os from 'node:os';
import path from 'node:path';

export interface ServeConfig {
  bindAddress: string;
  port: number;
  dataDir: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  hostKubeconfig?: string;
  logLevel: string;
  logRequests: boolean;
  auditLogPath?: string;
  auditPolicyFile?: string;
  auditLogDir?: string;
  tenantStatusInterval: number;
  externalUrl?: string;
  podApiAddress?: string;
  shutdownGraceSeconds: number;
  dnsListen?: string;
  dnsKubernetesAddress?: string;
  podDnsAddress?: string;
  webhookClientCa?: string;
  insecureWebhookAnyCaller?: boolean;
  metricsListen?: string;
  metricsTenantSeries: number;
  watchCacheEvents: number;
  hostNamespaceRole?: string;
  shard: number;
  shards: number;
  shardLeaseSeconds: number;
  replicaId?: string;
  peerAddress?: string;
}

export interface ConfigOption {
  key: keyof ServeConfig;
  flag: string;
  env: string;
  description: string;
  default?: string;
  parse?: (v: string) => unknown;
}

const int = (v: string): number => {
  const n = Number.parseInt(v, 10);
  if (!Number.isFinite(n) || String(n) !== v.trim()) throw new Error(`not an integer: ${v}`);
  return n;
};

/**
 * A shard number, or `ordinal`: the trailing number of this machine's host name, which is a
 * StatefulSet pod's ordinal (kplex-2 serves shard 2), so every replica of the chart runs the same
 * arguments.
 */
export const shardNumber = (v: string, hostname = os.hostname()): number => {
  if (v !== 'ordinal') return int(v);
  const m = /-(\d+)$/.exec(hostname);
  if (!m) throw new Error(`--shard ordinal: the host name "${hostname}" does not end in -<number>`);
  return int(m[1]!);
};

const bool = (v: string): boolean => {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new Error(`not true or false: ${v}`);
};

/** An http(s) URL without query or fragment; its trailing slash dropped. */
const externalUrl = (v: string): string => {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new Error(`not a URL: ${v}`);
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.search || u.hash || u.username)
    throw new Error(`not an http(s) URL without query, fragment or credentials: ${v}`);
  return u.href.replace(/\/+$/, '');
};

export const serveOptions: ConfigOption[] = [
  {
    key: 'bindAddress',
    flag: '--bind-address <ip>',
    env: 'KPLEX_BIND_ADDRESS',
    description: 'address to listen on',
    default: '127.0.0.1',
  },
  {
    key: 'port',
    flag: '--port <port>',
    env: 'KPLEX_PORT',
    description: 'HTTPS port',
    default: '9443',
    parse: int,
  },
  {
    key: 'dataDir',
    flag: '--data-dir <dir>',
    env: 'KPLEX_DATA_DIR',
    description: 'where tenant stores and the generated serving certificate live',
    default: path.join('.kplex', 'data'),
  },
  {
    key: 'tlsCertFile',
    flag: '--tls-cert-file <file>',
    env: 'KPLEX_TLS_CERT_FILE',
    description: 'serving certificate (PEM); generated into the data dir when absent',
  },
  {
    key: 'tlsPrivateKeyFile',
    flag: '--tls-private-key-file <file>',
    env: 'KPLEX_TLS_PRIVATE_KEY_FILE',
    description: 'serving key (PEM) matching --tls-cert-file',
  },
  {
    key: 'hostKubeconfig',
    flag: '--host-kubeconfig <file>',
    env: 'KPLEX_HOST_KUBECONFIG',
    description:
      "kubeconfig of the host cluster (default, as kubectl: $KUBECONFIG, ~/.kube/config, then the pod's ServiceAccount)",
  },
  {
    key: 'hostNamespaceRole',
    flag: '--host-namespace-role <clusterrole>',
    env: 'KPLEX_HOST_NAMESPACE_ROLE',
    description:
      "bind this host ClusterRole to kplex's own host identity in every host namespace kplex creates (the chart's least-privilege mode: kplex-host-namespace); unset: kplex's host credentials must already reach every namespace",
  },
  {
    key: 'podApiAddress',
    flag: '--pod-api-address <ip[:port]>',
    env: 'KPLEX_POD_API_ADDRESS',
    description:
      "where tenant pods and the host's pod webhook reach kplex (e.g. the ClusterIP:443 of kplex's Service; default: the advertise or bind address and the serving port)",
  },
  {
    key: 'webhookClientCa',
    flag: '--webhook-client-ca <file>',
    env: 'KPLEX_WEBHOOK_CLIENT_CA',
    description:
      "CA (PEM) that signs the host apiserver's client certificate for admission webhooks (its --admission-control-config-file kubeConfigFile); only callers it verifies may call kplex's pod webhook. Without it, every webhook call is refused (and tenant pods with it)",
  },
  {
    key: 'insecureWebhookAnyCaller',
    flag: '--insecure-webhook-any-caller',
    env: 'KPLEX_INSECURE_WEBHOOK_ANY_CALLER',
    description:
      "development only: let anyone who reaches kplex call the pod webhook, whose answers name other tenants' namespaces",
  },
  {
    key: 'logLevel',
    flag: '--log-level <level>',
    env: 'KPLEX_LOG_LEVEL',
    description: 'trace, debug, info, warn or error',
    default: 'info',
  },
  {
    key: 'auditLogPath',
    flag: '--audit-log-path <file>',
    env: 'KPLEX_AUDIT_LOG_PATH',
    description:
      'append audit.k8s.io/v1 Event JSON lines of every tenant request to this file (virtual names; the tenant in the kplex.io/tenant annotation)',
  },
  {
    key: 'auditLogDir',
    flag: '--audit-log-dir <dir>',
    env: 'KPLEX_AUDIT_LOG_DIR',
    description: "also write each tenant's audit events to <dir>/<tenant>.log",
  },
  {
    key: 'auditPolicyFile',
    flag: '--audit-policy-file <file>',
    env: 'KPLEX_AUDIT_POLICY_FILE',
    description:
      "audit.k8s.io/v1 Policy (the apiserver's format: levels None, Metadata, Request, RequestResponse); default: every request at Metadata",
  },
  {
    key: 'logRequests',
    flag: '--log-requests <bool>',
    env: 'KPLEX_LOG_REQUESTS',
    description:
      'one info line per tenant request when it ends (tenant, user, verb, resource, namespace, code, latencyMs); false: none',
    default: 'true',
    parse: bool,
  },
  {
    key: 'externalUrl',
    flag: '--external-url <url>',
    env: 'KPLEX_EXTERNAL_URL',
    description:
      "the URL clients reach kplex at (a load balancer's, an Ingress'): each Tenant's status.endpoint is it + /clusters/<name> (default: https://<KPLEX_ADVERTISE_ADDRESS or the bind address>:<port>, the path alone on a wildcard bind address)",
    parse: externalUrl,
  },
  {
    key: 'tenantStatusInterval',
    flag: '--tenant-status-interval <seconds>',
    env: 'KPLEX_TENANT_STATUS_INTERVAL',
    description:
      "how often kplex updates the host Tenant objects' status (Ready, endpoint, usage); a Tenant whose status is unchanged is not written",
    default: '10',
    parse: int,
  },
  {
    key: 'dnsListen',
    flag: '--dns-listen <ip:port>',
    env: 'KPLEX_DNS_LISTEN',
    description: "serve tenant pods' DNS (UDP and TCP) on this address; off when unset",
  },
  {
    key: 'dnsKubernetesAddress',
    flag: '--dns-kubernetes-address <ip>',
    env: 'KPLEX_DNS_KUBERNETES_ADDRESS',
    description:
      "what every tenant's kubernetes.default.svc resolves to (an IP; default: the pod API address's host, what pods get as KUBERNETES_SERVICE_HOST)",
  },
  {
    key: 'metricsListen',
    flag: '--metrics-listen <ip:port>',
    env: 'KPLEX_METRICS_LISTEN',
    description:
      'serve Prometheus /metrics over plain HTTP on this address, apart from the tenant endpoints (e.g. 127.0.0.1:9090); off when unset',
  },
  {
    key: 'metricsTenantSeries',
    flag: '--metrics-tenant-series <n>',
    env: 'KPLEX_METRICS_TENANT_SERIES',
    description:
      'export per-tenant request counts (kplex_tenant_requests_total) for the n busiest tenants; 0 names no tenant in /metrics',
    default: '0',
    parse: int,
  },
  {
    key: 'shards',
    flag: '--shards <n>',
    env: 'KPLEX_SHARDS',
    description:
      'how many shards tenants are spread over (one replica per shard, each with its own data dir); 0: not sharded, this process serves every tenant',
    default: '0',
    parse: int,
  },
  {
    key: 'shard',
    flag: '--shard <k>',
    env: 'KPLEX_SHARD',
    description:
      "the shard this replica serves (0..shards-1) while it holds the shard's host Lease (kplex-system/kplex-shard-<k>); other tenants' requests are forwarded to their shard's holder. `ordinal`: the number that ends the host name (a StatefulSet pod's ordinal)",
    default: '0',
    parse: (v) => shardNumber(v),
  },
  {
    key: 'shardLeaseSeconds',
    flag: '--shard-lease-seconds <n>',
    env: 'KPLEX_SHARD_LEASE_SECONDS',
    description:
      "the shard Lease's duration; the holder renews every n/7.5 s and stops serving its shard when it could not renew for 2n/3 s",
    default: '15',
    parse: int,
  },
  {
    key: 'replicaId',
    flag: '--replica-id <id>',
    env: 'KPLEX_REPLICA_ID',
    description:
      "this replica's holder identity in the shard Lease (default: <hostname>-shard-<k>; a restarted replica of the same identity takes its Lease back at once)",
  },
  {
    key: 'peerAddress',
    flag: '--peer-address <url>',
    env: 'KPLEX_PEER_ADDRESS',
    description:
      'the https URL other replicas forward requests to (default: https://<KPLEX_ADVERTISE_ADDRESS, or the bind address, or 127.0.0.1 on a wildcard bind address>:<port>)',
    parse: externalUrl,
  },
  {
    key: 'watchCacheEvents',
    flag: '--watch-cache-events <n>',
    env: 'KPLEX_WATCH_CACHE_EVENTS',
    description:
      'recent events each shared host watch keeps for watches resuming from a resourceVersion (also bounded to 32 MiB); older versions get 410 Expired',
    default: '10000',
    parse: int,
  },
  {
    key: 'podDnsAddress',
    flag: '--pod-dns-address <ip>',
    env: 'KPLEX_POD_DNS_ADDRESS',
    description:
      "the nameserver the pod webhook gives tenant pods (port 53: the ClusterIP of kplex's DNS Service; default: the --dns-listen address, or the pod API address when it listens on all; no DNS wiring without --dns-listen or this)",
  },
  {
    key: 'shutdownGraceSeconds',
    flag: '--shutdown-grace-seconds <n>',
    env: 'KPLEX_SHUTDOWN_GRACE_SECONDS',
    description: 'how long SIGTERM waits for in-flight requests',
    default: '15',
    parse: int,
  },
];
