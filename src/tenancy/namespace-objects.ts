// The objects kplex keeps in every host namespace of a tenant, from its Tenant's policy, as data:
// the isolation NetworkPolicy (hidden from the tenant), the namespace ResourceQuota and LimitRange
// (shown, read-only: admission/reserved-names.ts refuses the tenant's updates and deletes). Host
// watches keep them: applied for every kplex host namespace as it appears (and at start for those
// of an earlier run), applied again when deleted or edited by anyone, and when the Tenant changes.
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import { HostInformer, type InformerEvent } from '../hostapi/host-informer.js';
import type { Logger } from '../log/logger.js';
import { DEFAULT_POLICY, type PolicyOf, type TenantPolicy } from '../limits/tenant-policy.js';
import { QUOTA_RESOURCES, TENANT_QUOTA_NAME } from '../limits/tenant-quota.js';
import { LABEL_MANAGED_BY, LABEL_TENANT_UID } from '../rewrite/namespace-translator.js';
import { HIDDEN_LABEL } from '../rewrite/object-rewrite.js';
import { isolationSpec, type IsolationFacts, type KplexEndpoint } from './network-isolation.js';

type Obj = Record<string, unknown>;

interface OwnedObject {
  /** group/resource, the key of KPLEX_OWNED (which lists its name). */
  groupResource: string;
  name: string;
  apiVersion: string;
  kind: string;
  /** Hidden from the tenant's reads (kplex.io/hidden) or shown read-only. */
  hidden: boolean;
  /** Its spec under the Tenant's policy (and the host's facts); undefined: it must not exist. */
  spec: (tenantUid: string, policy: TenantPolicy, facts: IsolationFacts) => Obj | undefined;
}

const OWNED: readonly OwnedObject[] = [
  {
    groupResource: 'networking.k8s.io/networkpolicies',
    name: 'kplex-tenant-isolation',
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    hidden: true,
    spec: (uid, p, f) => (p.networkIsolation ? isolationSpec(uid, p, f) : undefined),
  },
  {
    groupResource: '/resourcequotas',
    name: 'quota.kplex.io',
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    hidden: false,
    spec: (_, p) => (Object.keys(p.namespaceQuota).length ? { hard: { ...p.namespaceQuota } } : undefined),
  },
  {
    // The tenant-wide quota as the tenant reads it (host/tenant-quota-view.ts shows the whole
    // tenant's usage); the host enforces its limits per namespace too (and that pods declare
    // the cpu and memory it limits).
    groupResource: '/resourcequotas',
    name: TENANT_QUOTA_NAME,
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    hidden: false,
    spec: (_, p) => {
      const hard = Object.fromEntries(Object.entries(p.quota).filter(([k]) => QUOTA_RESOURCES[k]?.host));
      return Object.keys(hard).length ? { hard } : undefined;
    },
  },
  {
    groupResource: '/limitranges',
    name: 'limits.kplex.io',
    apiVersion: 'v1',
    kind: 'LimitRange',
    hidden: false,
    spec: (_, p) => (p.limitRange.length ? { limits: p.limitRange } : undefined),
  },
];

const nameOf = (o: OwnedObject): string => o.name;
/** Pause before a failed namespace is reconciled again, doubled per failure up to the max. */
const RETRY_MS = 1_000;
const RETRY_MAX_MS = 60_000;
const collection = (o: OwnedObject, ns?: string): string => {
  const [group, resource] = o.groupResource.split('/') as [string, string];
  const base = group ? `/apis/${o.apiVersion}` : '/api/v1';
  return `${base}${ns ? `/namespaces/${encodeURIComponent(ns)}` : ''}/${resource}`;
};
const MANAGED = encodeURIComponent(`${LABEL_MANAGED_BY}=kplex`);

export class TenantNamespaceObjects {
  /** `<groupResource>/<name> <ns>` -> what was applied and what the host stored (JSON): unchanged ones cost nothing. */
  private readonly applied = new Map<string, { want: string; stored: string }>();
  private readonly queue = new Set<string>();
  /** Failed reconciles in a row, per namespace (the retry's back-off). */
  private readonly retries = new Map<string, number>();
  private running = false;
  private readonly namespaces: HostInformer;
  private readonly owned: HostInformer[];
  /** The nodes' addresses the isolation policy keeps tenant pods from (sorted, joined: compared on change). */
  private readonly nodes: HostInformer;
  private nodeAddresses: string[] = [];

  constructor(
    private readonly host: HostClient,
    private readonly policyOf: PolicyOf = () => DEFAULT_POLICY,
    private readonly logger: Logger,
    /** Where tenant pods reach kplex (known once it serves; then call refresh()). */
    private readonly kplexEndpoints: () => readonly KplexEndpoint[] = () => [],
  ) {
    this.nodes = new HostInformer(host, '/api/v1/nodes', logger, () => this.onNodes(), {
      // Only the addresses are kept (a node's status is large).
      transform: (n) => ({
        metadata: n.metadata,
        status: { addresses: (n as { status?: { addresses?: unknown } }).status?.addresses },
      }),
    });
    this.namespaces = new HostInformer(host, '/api/v1/namespaces', logger, (e) => this.onNamespace(e), {
      query: `labelSelector=${MANAGED}`,
    });
    this.owned = OWNED.map(
      (o) =>
        new HostInformer(host, collection(o), logger, (e) => this.onOwned(o, e), {
          query: `labelSelector=${MANAGED}`,
          key: (x) => `${x.metadata?.namespace ?? ''}/${x.metadata?.name ?? ''}`,
        }),
    );
  }

  /** Resolves once the lists are in (the objects follow in the background). */
  async start(): Promise<void> {
    await this.nodes.start();
    await Promise.all([this.namespaces.start(), ...this.owned.map((i) => i.start())]);
  }

  stop(): void {
    for (const i of [this.nodes, this.namespaces, ...this.owned]) i.stop();
  }

  /** Every namespace's objects again (unchanged ones cost no host call): kplex's endpoints are known. */
  refresh(): void {
    for (const name of this.namespaces.items.keys()) this.enqueue(name);
  }

  /** A Tenant changed: its namespaces get the objects of its current policy (no host call if unchanged). */
  tenantChanged(uid: string): void {
    for (const ns of this.namespaces.items.values())
      if (uid && ns.metadata?.labels?.[LABEL_TENANT_UID] === uid) this.enqueue(ns.metadata?.name ?? '');
  }

  /**
   * Per tenant UID, from what these watches hold already (no host call): its host namespaces, and
   * its pods as the host's quota controller counts them in kplex's ResourceQuota (non-terminal pods;
   * only where the Tenant's namespaceQuota limits `pods`).
   */
  hostUsage(): Map<string, { hostNamespaces: number; pods?: number }> {
    const out = new Map<string, { hostNamespaces: number; pods?: number }>();
    const quotas = this.owned[OWNED.findIndex((o) => o.kind === 'ResourceQuota')]!;
    const quotaName = 'quota.kplex.io';
    for (const ns of this.namespaces.items.values()) {
      const uid = ns.metadata?.labels?.[LABEL_TENANT_UID];
      if (!uid || ns.metadata?.deletionTimestamp) continue;
      const u = out.get(uid) ?? { hostNamespaces: 0 };
      u.hostNamespaces++;
      const quota = quotas.items.get(`${ns.metadata?.name ?? ''}/${quotaName}`) as
        { status?: { used?: Record<string, string> } } | undefined;
      const pods = Number(quota?.status?.used?.['pods']);
      if (Number.isInteger(pods)) u.pods = (u.pods ?? 0) + pods;
      out.set(uid, u);
    }
    return out;
  }

  private onNodes(): void {
    const addresses = [...this.nodes.items.values()].flatMap((n) =>
      ((n as { status?: { addresses?: { type?: string; address?: string }[] } }).status?.addresses ?? [])
        .filter((a) => a.type === 'InternalIP' || a.type === 'ExternalIP')
        .map((a) => a.address ?? ''),
    );
    const next = [...new Set(addresses)].filter(Boolean).sort();
    if (next.join() === this.nodeAddresses.join()) return;
    this.nodeAddresses = next;
    this.refresh();
  }

  private onNamespace(e: InformerEvent): void {
    const name = e.object.metadata?.name ?? '';
    if (e.type !== 'DELETED') return this.enqueue(name);
    for (const o of OWNED) this.applied.delete(`${o.groupResource}/${o.name} ${name}`);
  }

  private onOwned(o: OwnedObject, e: InformerEvent): void {
    if (e.object.metadata?.name !== nameOf(o)) return;
    const ns = e.object.metadata?.namespace ?? '';
    const key = `${o.groupResource}/${o.name} ${ns}`;
    // Deleted or edited by someone else: apply it again.
    if (e.type === 'DELETED' || JSON.stringify((e.object as Obj)['spec']) !== this.applied.get(key)?.stored) {
      this.applied.delete(key);
      this.enqueue(ns);
    }
  }

  private enqueue(ns: string): void {
    if (!ns) return;
    this.queue.add(ns);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let next = this.queue.values().next(); !next.done; next = this.queue.values().next()) {
        const ns = next.value;
        this.queue.delete(ns);
        let failed = false;
        for (const o of OWNED)
          try {
            await this.reconcile(o, ns);
          } catch (err) {
            failed = true;
            this.logger.warn(
              { err, namespace: ns, kind: o.kind },
              "keeping kplex's object in a tenant namespace failed",
            );
          }
        if (!failed) this.retries.delete(ns);
        else {
          // Tried again, backing off: kplex's rights in a new host namespace (its RoleBinding)
          // may reach the host's authorizer after the namespace's watch event.
          const n = (this.retries.get(ns) ?? 0) + 1;
          this.retries.set(ns, n);
          setTimeout(() => this.enqueue(ns), Math.min(RETRY_MAX_MS, RETRY_MS * 2 ** (n - 1))).unref();
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Applies (or, where the Tenant's policy has none, deletes) one object in one host namespace. */
  private async reconcile(o: OwnedObject, ns: string): Promise<void> {
    const obj: KubeObject | undefined = this.namespaces.items.get(ns);
    const uid = obj?.metadata?.labels?.[LABEL_TENANT_UID];
    if (!obj || !uid || obj.metadata?.deletionTimestamp) return;
    const key = `${o.groupResource}/${o.name} ${ns}`;
    const path = `${collection(o, ns)}/${nameOf(o)}`;
    const spec = o.spec(uid, this.policyOf(uid), {
      nodeAddresses: this.nodeAddresses,
      kplex: this.kplexEndpoints(),
    });
    const want = spec ? JSON.stringify(spec) : 'none';
    if (this.applied.get(key)?.want === want) return;
    if (!spec) {
      const res = await this.host.request('DELETE', path);
      if (res.status >= 300 && res.status !== 404) throw new Error(`host DELETE ${path}: ${res.status}`);
      this.applied.set(key, { want, stored: '' });
      return;
    }
    const labels = { [LABEL_MANAGED_BY]: 'kplex', ...(o.hidden ? { [HIDDEN_LABEL]: 'true' } : {}) };
    const res = await this.host.request(
      'PATCH',
      `${path}?fieldManager=kplex&force=true`,
      { apiVersion: o.apiVersion, kind: o.kind, metadata: { name: nameOf(o), labels }, spec },
      'application/apply-patch+yaml',
    );
    const message = String((res.body as { message?: unknown } | undefined)?.message ?? '');
    // A namespace being deleted refuses new content: nothing to keep there.
    if (res.status === 404 || (res.status === 403 && message.includes('being terminated'))) return;
    if (res.status >= 300) throw new Error(`host apply ${path}: ${res.status} ${message}`);
    // The stored spec (defaults filled) is what the watch echoes back: not taken for an edit.
    this.applied.set(key, { want, stored: JSON.stringify((res.body as Obj | undefined)?.['spec'] ?? spec) });
  }
}
