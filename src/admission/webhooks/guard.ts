// Where a tenant's webhook may never be called, whatever its configuration or its Service's
// endpoints say (no SSRF through kplex): kplex's own listeners, the host's apiserver, link-local
// (cloud metadata) and unspecified addresses. Filled once at start by `kplex serve`.
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

const ownPorts = new Set<number>();
const hostEndpoints = new Set<string>();

const never = new BlockList();
never.addSubnet('169.254.0.0', 16, 'ipv4');
never.addSubnet('fe80::', 10, 'ipv6');
never.addAddress('0.0.0.0', 'ipv4');
never.addAddress('::', 'ipv6');

/** kplex's listening ports (API, metrics, DNS...) and the host apiserver's URL. */
export function protectFromWebhooks(p: { ports: readonly number[]; hostURL?: string }): void {
  for (const port of p.ports) if (port > 0) ownPorts.add(port);
  if (p.hostURL) {
    const u = new URL(p.hostURL);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    hostEndpoints.add(`${host}|${u.port || '443'}`);
  }
}

/** The port of an `ip:port` (or `[ip]:port`) option; 0 when none. */
export const listenPort = (listen: string | undefined): number =>
  Number(/:(\d+)$/.exec(listen ?? '')?.[1] ?? 0);

const family = (ip: string): 'ipv4' | 'ipv6' => (isIP(ip) === 6 ? 'ipv6' : 'ipv4');

/** Whether `ip` is an address of this machine (where kplex itself listens). */
function isLocal(ip: string): boolean {
  if (ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.')) return true;
  for (const list of Object.values(networkInterfaces()))
    for (const i of list ?? []) if (i.address === ip) return true;
  return false;
}

/** Why a webhook may not be called at ip:port, or undefined when it may. */
export function forbiddenTarget(ip: string, port: number): string | undefined {
  if (!isIP(ip)) return `${ip} is not an IP address`;
  if (never.check(ip, family(ip))) return `${ip} is a link-local or unspecified address`;
  if (hostEndpoints.has(`${ip}|${port}`)) return `${ip}:${port} is the host's apiserver`;
  if (ownPorts.has(port) && isLocal(ip)) return `${ip}:${port} is kplex itself`;
  return undefined;
}
