// `kplex serve --dns-listen host:port`: tenant DNS in the kplex process, one server for all tenants.
import { isIP } from 'node:net';
import type { HostClient } from '../hostapi/host-client.js';
import type { Logger } from '../log/logger.js';
import { DnsResolver } from './dns-resolver.js';
import { DnsServer } from './dns-server.js';
import { HostDnsSource } from './host-dns-source.js';

export interface TenantDnsOptions {
  /** `host:port` (`[v6]:port`); port 0 picks a free one. */
  listen: string;
  /** Every tenant's `kubernetes.default.svc` (an IP; else each tenant's own `kubernetes` Service). */
  kubernetesAddress?: string;
  zone?: string;
}

export interface TenantDns {
  address: string;
  port: number;
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65_535)
    throw new Error(`--dns-listen: want ip:port or [ip6]:port, got ${JSON.stringify(listen)}`);
  return { host: m[1] ?? m[2] ?? '', port };
}

export async function startTenantDns(
  host: HostClient,
  logger: Logger,
  opts: TenantDnsOptions,
): Promise<TenantDns> {
  const at = parseListen(opts.listen);
  const source = new HostDnsSource(host, logger);
  await source.start();
  // Only an IP can be an A/AAAA record; a host name there leaves each tenant's own Service.
  const apiAddress =
    opts.kubernetesAddress && isIP(opts.kubernetesAddress) ? opts.kubernetesAddress : undefined;
  if (opts.kubernetesAddress && !apiAddress)
    logger.warn(
      { address: opts.kubernetesAddress },
      'dns: kubernetes.default.svc address is not an IP; ignored',
    );
  const resolver = new DnsResolver(source.index, {
    zone: opts.zone,
    kubernetesAddress: apiAddress ? () => apiAddress : undefined,
  });
  const server = new DnsServer({ index: source.index, resolver, logger });
  const bound = await server.listen(at.host, at.port);
  logger.info({ address: bound.address, port: bound.port, ...source.index.stats() }, 'dns serving');
  return {
    ...bound,
    async close() {
      source.stop();
      await server.close();
    },
  };
}
