// Wires the pod syncer into `kplex serve`: the webhook route on kplex's own HTTPS server, the
// pods' address of kplex, the host audiences a tenant pod may not ask for, and the registration
// on the host once the serving port is known.
import net from 'node:net';
import os from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StatusError } from '../api/status.js';
import type { HostClient } from '../hostapi/host-client.js';
import type { Logger } from '../log/logger.js';
import { CAConfigMaps } from './ca-configmap.js';
import { NamespaceTargets } from './namespace-targets.js';
import { POD_WEBHOOK_PATH, podWebhook, type PodWebhookDeps } from './pod-webhook.js';
import { hostUser, registerPodWebhook } from './webhook-registration.js';

/** The names in-cluster clients use for the API server: kplex's certificate must carry them. */
export const KUBERNETES_SERVICE_NAMES = [
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];

export interface PodSyncerOptions {
  host: HostClient;
  logger: Logger;
  tenantUid: (tenant: string) => string | undefined;
  /** `--pod-api-address` (ip or name, optional `:port`); default: the advertise or bind address. */
  podApiAddress?: string;
  bindAddress: string;
  /** Where pods reach kplex's DNS (`--pod-dns-address`, or the host of `--dns-listen`); unset: no DNS wiring. */
  podDnsAddress?: string;
  /** Who may call the webhook: the host apiserver alone (auth/webhook-callers.ts). */
  webhookCaller: (req: IncomingMessage) => Promise<StatusError | undefined>;
  /** The tenant's admission webhooks for pods host controllers create (pod-webhook.ts). */
  tenantAdmission?: PodWebhookDeps['tenantAdmission'];
  /** The tenant-wide quota of every pod the host admits (pod-webhook.ts). */
  quota?: PodWebhookDeps['quota'];
}

/** The host part of where pods reach kplex (known before the port, for the certificate). */
export function podApiHost(o: Pick<PodSyncerOptions, 'podApiAddress' | 'bindAddress'>): string {
  if (o.podApiAddress) return splitHostPort(o.podApiAddress).host;
  const advertised = process.env['KPLEX_ADVERTISE_ADDRESS'];
  if (advertised) return advertised;
  if (o.bindAddress !== '0.0.0.0' && o.bindAddress !== '::') return o.bindAddress;
  for (const addrs of Object.values(os.networkInterfaces()))
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

/**
 * The address tenant pods' resolvers ask (always on port 53): `--pod-dns-address`, else the host
 * of `--dns-listen` when it names one, else the pod API host; none when kplex serves no DNS.
 */
export function podDnsAddress(
  o: Pick<PodSyncerOptions, 'podApiAddress' | 'bindAddress' | 'podDnsAddress'> & { dnsListen?: string },
): string | undefined {
  let ip = o.podDnsAddress;
  if (!ip && o.dnsListen) {
    const { host } = splitHostPort(o.dnsListen);
    ip = host === '0.0.0.0' || host === '::' || host === '' ? podApiHost(o) : host;
  }
  // A resolver's nameserver is an IP; a name would make the host refuse every tenant pod.
  if (ip && !net.isIP(ip))
    throw new Error(`pod DNS address "${ip}" is not an IP address (set --pod-dns-address)`);
  return ip;
}

/** Where tenant pods reach kplex once it serves on `servingPort`: its API (TCP) and DNS (port 53). */
export function podEndpoints(
  o: Pick<PodSyncerOptions, 'podApiAddress' | 'bindAddress' | 'podDnsAddress'> & { dnsListen?: string },
  servingPort: number,
): { ip: string; port: number; protocol: 'TCP' | 'UDP' }[] {
  const api = {
    ip: podApiHost(o),
    port: (o.podApiAddress && splitHostPort(o.podApiAddress).port) || servingPort,
  };
  const dns = podDnsAddress(o);
  return [
    { ...api, protocol: 'TCP' },
    ...(dns ? (['UDP', 'TCP'] as const).map((protocol) => ({ ip: dns, port: 53, protocol })) : []),
  ];
}

function splitHostPort(s: string): { host: string; port?: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(
    s.includes(':') && !s.startsWith('[') && s.split(':').length > 2 ? `[${s}]` : s,
  );
  return { host: m?.[1] ?? s, ...(m?.[2] ? { port: Number(m[2]) } : {}) };
}

export function podSyncer(o: PodSyncerOptions, caCert: string) {
  const host = podApiHost(o);
  const explicitPort = o.podApiAddress ? splitHostPort(o.podApiAddress).port : undefined;
  let port = explicitPort ?? 443;
  let hostAudiences: string[] = [];
  let kplexUser: string | undefined;
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>>([
    [
      POD_WEBHOOK_PATH,
      podWebhook({
        caller: o.webhookCaller,
        targets: new NamespaceTargets(o.host, o.tenantUid),
        caConfigMaps: new CAConfigMaps(o.host, caCert),
        api: () => ({ host, port }),
        dnsServer: () => o.podDnsAddress,
        hostAudiences: () => hostAudiences,
        logger: o.logger,
        tenantAdmission: o.tenantAdmission,
        kplexUser: () => kplexUser,
        quota: o.quota,
      }),
    ],
  ]);
  return {
    routes,
    /** Registers the webhook once kplex serves on `servingPort`. */
    async start(servingPort: number): Promise<void> {
      port = explicitPort ?? servingPort;
      const conf = await o.host.request<{ issuer?: unknown }>('GET', '/.well-known/openid-configuration');
      if (conf.status === 200 && typeof conf.body.issuer === 'string') hostAudiences = [conf.body.issuer];
      const at = host.includes(':') ? `[${host}]` : host;
      await registerPodWebhook(o.host, {
        url: `https://${at}:${port}${POD_WEBHOOK_PATH}`,
        caCert,
        kplexUser: (kplexUser = await hostUser(o.host).catch(() => undefined)),
      });
      o.logger.info({ address: `${at}:${port}` }, 'pod webhook registered');
    },
  };
}
