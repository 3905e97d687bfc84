// A dry-run write must have no side effect, but a tenant namespace's host namespace is created on
// first use. A dry-run create (or create-on-update) in a namespace that has none yet is therefore
// judged by the host in ONE empty host namespace kplex keeps for all tenants: nothing is ever
// persisted there (every request to it carries dryRun), and its name is rewritten to the tenant's
// namespace in the answer.
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';

/** Reserved: tenant names starting with `kplex` are refused, so no tenant's host names take it. */
export const DRY_RUN_NAMESPACE = 'kplex-dry-run';

const LABELS = { 'app.kubernetes.io/managed-by': 'kplex', 'kplex.io/role': 'dry-run' };

const ready = new WeakMap<HostClient, Promise<string>>();

const ours = (o: KubeObject | undefined): boolean =>
  Object.entries(LABELS).every(([k, v]) => o?.metadata?.labels?.[k] === v) && !o?.metadata?.deletionTimestamp;

async function ensure(host: HostClient): Promise<string> {
  const path = `/api/v1/namespaces/${DRY_RUN_NAMESPACE}`;
  const got = await host.request<KubeObject>('GET', path);
  if (got.status === 200 && ours(got.body)) return DRY_RUN_NAMESPACE;
  if (got.status === 404) {
    const made = await host.request<KubeObject>('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: DRY_RUN_NAMESPACE, labels: LABELS },
    });
    if (made.status === 201) return settled(host);
    if (made.status === 409 && ours((await host.request<KubeObject>('GET', path)).body))
      return DRY_RUN_NAMESPACE;
  }
  // Never adopted: a host namespace of that name that kplex did not make is not used.
  throw new Error(`host namespace ${DRY_RUN_NAMESPACE} is unavailable (${got.status})`);
}

/** A new namespace gets its `default` ServiceAccount from a host controller; pods need it. */
async function settled(host: HostClient): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const sa = await host.request('GET', `/api/v1/namespaces/${DRY_RUN_NAMESPACE}/serviceaccounts/default`);
    if (sa.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return DRY_RUN_NAMESPACE;
}

/** The stand-in host namespace for dry-run writes, made once per host. */
export function dryRunNamespace(host: HostClient): Promise<string> {
  let p = ready.get(host);
  if (!p) {
    p = ensure(host);
    p.catch(() => ready.delete(host));
    ready.set(host, p);
  }
  return p;
}
