// Where a webhook's clientConfig points, resolved on the tenant's side only: a `service:` is a
// Service of the tenant (its virtual namespace mapped to its own host namespace, never another's)
// reached at a ready address of its Endpoints; an ExternalName Service is refused (it names
// anything). A `url:` only where the Tenant's policy allows it. Every address passes the guard.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { HostClient } from '../../hostapi/host-client.js';
import { forbiddenTarget } from './guard.js';
import { CallFailure, type ClientConfig, type Target } from './types.js';

/** What resolving needs of the tenant's host side. */
export interface TargetEnv {
  host?: HostClient;
  /** The tenant's host namespace of its virtual namespace `ns` (undefined: none yet). */
  hostNamespaceOf?: (ns: string) => string | undefined;
  /** The Tenant's policy allows `url:` webhooks. */
  urlsAllowed: boolean;
}

type Obj = Record<string, unknown>;
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

const decodeCA = (b64?: string): string | undefined =>
  b64 ? Buffer.from(b64, 'base64').toString('utf8') : undefined;

export async function resolveTarget(c: ClientConfig, env: TargetEnv): Promise<Target> {
  const ca = decodeCA(c.caBundle);
  if (c.service) return resolveService(c.service, ca, env);
  if (c.url) return resolveURL(c.url, ca, env);
  throw new CallFailure('failed to call webhook: no clientConfig.service or clientConfig.url');
}

async function resolveService(
  s: NonNullable<ClientConfig['service']>,
  ca: string | undefined,
  env: TargetEnv,
): Promise<Target> {
  const name = s.name ?? '';
  const ns = s.namespace ?? '';
  const port = s.port ?? 443;
  const path = s.path || '/';
  const serverName = `${name}.${ns}.svc`;
  const display = `https://${serverName}:${port}${path}`;
  const fail = (why: string) => new CallFailure(`failed to call webhook: Post "${display}": ${why}`);
  const h = env.hostNamespaceOf?.(ns);
  if (!env.host || !h) throw fail(`service "${name}" not found`);
  const base = `/api/v1/namespaces/${encodeURIComponent(h)}`;
  const svc = await env.host.request<Obj>('GET', `${base}/services/${encodeURIComponent(name)}`);
  if (svc.status !== 200 || !svc.body) throw fail(`service "${name}" not found`);
  const spec = (svc.body['spec'] ?? {}) as Obj;
  if (spec['type'] === 'ExternalName')
    throw fail(`service "${name}" is of type ExternalName, which kplex does not call`);
  const sp = arr(spec['ports']).find((p) => p['port'] === port);
  if (!sp) throw fail(`service "${name}" has no port ${port}`);
  const ep = await env.host.request<Obj>('GET', `${base}/endpoints/${encodeURIComponent(name)}`);
  const candidates: { ip: string; port: number }[] = [];
  for (const subset of arr(ep.status === 200 ? ep.body?.['subsets'] : undefined)) {
    const ports = arr(subset['ports']);
    const p = ports.length === 1 && !sp['name'] ? ports[0] : ports.find((x) => x['name'] === sp['name']);
    if (typeof p?.['port'] !== 'number') continue;
    for (const a of arr(subset['addresses']))
      if (typeof a['ip'] === 'string') candidates.push({ ip: a['ip'], port: p['port'] });
  }
  if (!candidates.length) throw fail(`no endpoints available for service "${name}"`);
  const pick = candidates[Math.floor(Math.random() * candidates.length)]!;
  const why = forbiddenTarget(pick.ip, pick.port);
  if (why) throw fail(`refused: ${why}`);
  return { ip: pick.ip, port: pick.port, serverName, path, display, ca };
}

async function resolveURL(raw: string, ca: string | undefined, env: TargetEnv): Promise<Target> {
  const fail = (why: string) => new CallFailure(`failed to call webhook: Post "${raw}": ${why}`);
  if (!env.urlsAllowed)
    throw fail("the Tenant's policy does not allow url webhooks (spec.policy.webhookURLs)");
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw fail('invalid URL');
  }
  if (u.protocol !== 'https:') throw fail('only https URLs are called');
  const hostname = u.hostname.replace(/^\[|\]$/g, '');
  const port = u.port ? Number(u.port) : 443;
  // Resolve once and connect to what was checked (a second lookup could answer otherwise).
  const ip = isIP(hostname) ? hostname : (await lookup(hostname).catch(() => undefined))?.address;
  if (!ip) throw fail(`dial tcp: lookup ${hostname}: no such host`);
  const why = forbiddenTarget(ip, port);
  if (why) throw fail(`refused: ${why}`);
  return { ip, port, serverName: hostname, path: u.pathname || '/', display: `${u.origin}${u.pathname}`, ca };
}
