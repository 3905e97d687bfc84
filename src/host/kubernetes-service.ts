// The `kubernetes` Service of a tenant's `default` namespace, pointing at kplex instead of the host
// apiserver: a selector-less ClusterIP Service (443 -> kplex's port) in the tenant's host namespace
// plus Endpoints kplex writes (the host's EndpointSlice mirroring controller derives the slice).
// Re-asserted at most once a minute per tenant on passthrough traffic, so a deleted one returns.
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import type { HostClient } from '../hostapi/host-client.js';

const REFRESH_MS = 60_000;
const LABELS = { 'app.kubernetes.io/managed-by': 'kplex', component: 'apiserver', provider: 'kubernetes' };

/**
 * The address pods reach kplex on: KPLEX_ADVERTISE_ADDRESS (ip), else the address the request came
 * in on when it is not loopback (the host refuses loopback endpoints), else this machine's first
 * external IPv4. The port is the one kplex serves on.
 */
export function advertisedEndpoint(req: IncomingMessage): { ip: string; port: number } | undefined {
  const port = req.socket.localPort ?? 443;
  const configured = process.env['KPLEX_ADVERTISE_ADDRESS'];
  if (configured) return { ip: configured, port };
  const local = (req.socket.localAddress ?? '').replace(/^::ffff:/, '');
  if (local && !local.startsWith('127.') && local !== '::1' && /^[\d.]+$/.test(local))
    return { ip: local, port };
  const ip = externalIPv4();
  return ip ? { ip, port } : undefined;
}

/** os.networkInterfaces() costs ~1 ms of the event loop: read once every 10 s, not per request. */
let interfaces: { ip: string | undefined; until: number } | undefined;
function externalIPv4(): string | undefined {
  if (interfaces && interfaces.until > Date.now()) return interfaces.ip;
  let ip: string | undefined;
  for (const addrs of Object.values(os.networkInterfaces()))
    for (const a of addrs ?? []) if (!ip && a.family === 'IPv4' && !a.internal) ip = a.address;
  interfaces = { ip, until: Date.now() + 10_000 };
  return ip;
}

export class KubernetesServices {
  private readonly done = new Map<string, number>();

  constructor(private readonly host: HostClient) {}

  /** Makes sure the Service and Endpoints exist in `hostNs` (the tenant's `default`); never throws. */
  async ensure(tenant: string, hostNs: string, at: { ip: string; port: number }): Promise<void> {
    const key = `${tenant}/${hostNs}/${at.ip}:${at.port}`;
    if ((this.done.get(key) ?? 0) > Date.now()) return;
    this.done.set(key, Date.now() + REFRESH_MS);
    const base = `/api/v1/namespaces/${encodeURIComponent(hostNs)}`;
    const apply = (path: string, body: unknown) =>
      this.host.request(
        'PATCH',
        `${base}/${path}?fieldManager=kplex&force=true`,
        body,
        'application/apply-patch+yaml',
      );
    const svc = await apply('services/kubernetes', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', labels: LABELS },
      spec: {
        type: 'ClusterIP',
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: at.port }],
      },
    });
    const eps = await apply('endpoints/kubernetes', {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'kubernetes', labels: LABELS },
      subsets: [{ addresses: [{ ip: at.ip }], ports: [{ name: 'https', port: at.port, protocol: 'TCP' }] }],
    });
    if (svc.status >= 300 || eps.status >= 300) this.done.delete(key);
  }
}
