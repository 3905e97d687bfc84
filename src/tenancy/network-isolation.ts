// kplex's NetworkPolicy in every host namespace of a tenant (Tenant spec.policy.networkIsolation):
// the tenant's pods accept traffic only from its own pods (and host namespaces the Tenant names),
// and send it to its own pods, to DNS and to addresses outside the link-local range (the cloud
// metadata service). The tenant never sees it (kplex.io/hidden, reserved name) and its own
// NetworkPolicies apply on top. Host watches keep it there: made for every kplex host namespace
// as it appears (and at start for those of an earlier run), made again when deleted or changed.
// A CNI that implements NetworkPolicy enforces it; without one (kwok) it is an object only.
import { HIDDEN_LABEL } from '../rewrite/object-rewrite.js';
import { ISOLATION_POLICY } from '../admission/reserved-names.js';
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import { HostInformer, type InformerEvent } from '../hostapi/host-informer.js';
import type { Logger } from '../log/logger.js';
import { DEFAULT_POLICY, type PolicyOf, type TenantPolicy } from '../limits/tenant-policy.js';
import { LABEL_MANAGED_BY, LABEL_TENANT_UID } from '../rewrite/namespace-translator.js';

const LABELS = { [LABEL_MANAGED_BY]: 'kplex', [HIDDEN_LABEL]: 'true' };
const SELECTOR = encodeURIComponent(`${LABEL_MANAGED_BY}=kplex,${HIDDEN_LABEL}=true`);
const NAME_LABEL = 'kubernetes.io/metadata.name';

/** Addresses no tenant pod may send to: link-local (169.254.169.254 is the cloud metadata service). */
const DENIED_EGRESS = { v4: ['169.254.0.0/16'], v6: ['fe80::/10'] };

/** The policy's spec for a tenant (by UID) under its Tenant's policy. */
export function isolationSpec(tenantUid: string, policy: TenantPolicy): Record<string, unknown> {
  const tenant = { namespaceSelector: { matchLabels: { [LABEL_TENANT_UID]: tenantUid } } };
  return {
    podSelector: {},
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      {
        from: [
          tenant,
          ...policy.allowIngressFromHostNamespaces.map((n) => ({
            namespaceSelector: { matchLabels: { [NAME_LABEL]: n } },
          })),
        ],
      },
    ],
    egress: [
      { to: [tenant] },
      {
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      {
        to: [
          { ipBlock: { cidr: '0.0.0.0/0', except: DENIED_EGRESS.v4 } },
          { ipBlock: { cidr: '::/0', except: DENIED_EGRESS.v6 } },
        ],
      },
    ],
  };
}

type Obj = Record<string, unknown>;

export class NetworkIsolation {
  /** Host namespace -> what was last applied there and the spec the host stored (JSON): unchanged ones cost nothing. */
  private readonly applied = new Map<string, { want: string; stored: string }>();
  private readonly queue = new Set<string>();
  private running = false;
  private readonly namespaces: HostInformer;
  private readonly policies: HostInformer;

  constructor(
    private readonly host: HostClient,
    private readonly policyOf: PolicyOf = () => DEFAULT_POLICY,
    private readonly logger: Logger,
  ) {
    this.namespaces = new HostInformer(host, '/api/v1/namespaces', logger, (e) => this.onNamespace(e), {
      query: `labelSelector=${encodeURIComponent(`${LABEL_MANAGED_BY}=kplex`)}`,
    });
    this.policies = new HostInformer(
      host,
      '/apis/networking.k8s.io/v1/networkpolicies',
      logger,
      (e) => this.onPolicy(e),
      { query: `labelSelector=${SELECTOR}`, key: (o) => o.metadata?.namespace ?? '' },
    );
  }

  /** Resolves once every existing kplex host namespace is known (their policies follow in the background). */
  async start(): Promise<void> {
    await Promise.all([this.namespaces.start(), this.policies.start()]);
  }

  stop(): void {
    this.namespaces.stop();
    this.policies.stop();
  }

  /** A Tenant changed: its namespaces get the policy of its current spec (no host call if unchanged). */
  tenantChanged(uid: string): void {
    for (const ns of this.namespaces.items.values())
      if (uid && ns.metadata?.labels?.[LABEL_TENANT_UID] === uid) this.enqueue(ns.metadata?.name ?? '');
  }

  private onNamespace(e: InformerEvent): void {
    const name = e.object.metadata?.name ?? '';
    if (e.type === 'DELETED') this.applied.delete(name);
    else this.enqueue(name);
  }

  private onPolicy(e: InformerEvent): void {
    if (e.object.metadata?.name !== ISOLATION_POLICY) return;
    const ns = e.object.metadata?.namespace ?? '';
    // Deleted or edited by someone else: apply ours again.
    if (e.type === 'DELETED' || JSON.stringify((e.object as Obj)['spec']) !== this.applied.get(ns)?.stored) {
      this.applied.delete(ns);
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
        try {
          await this.reconcile(ns);
        } catch (err) {
          this.logger.warn({ err, namespace: ns }, 'keeping the tenant isolation NetworkPolicy failed');
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Applies (or, where the Tenant turned isolation off, deletes) the policy of one host namespace. */
  private async reconcile(ns: string): Promise<void> {
    const obj: KubeObject | undefined = this.namespaces.items.get(ns);
    const uid = obj?.metadata?.labels?.[LABEL_TENANT_UID];
    if (!obj || !uid || obj.metadata?.deletionTimestamp) return;
    const policy = this.policyOf(uid);
    const path = `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/networkpolicies/${ISOLATION_POLICY}`;
    if (!policy.networkIsolation) {
      if (this.applied.get(ns)?.want === 'off') return;
      const res = await this.host.request('DELETE', path);
      if (res.status >= 300 && res.status !== 404) throw new Error(`host DELETE ${path}: ${res.status}`);
      this.applied.set(ns, { want: 'off', stored: '' });
      return;
    }
    const spec = isolationSpec(uid, policy);
    const want = JSON.stringify(spec);
    if (this.applied.get(ns)?.want === want) return;
    const res = await this.host.request(
      'PATCH',
      `${path}?fieldManager=kplex&force=true`,
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: ISOLATION_POLICY, labels: LABELS },
        spec,
      },
      'application/apply-patch+yaml',
    );
    const message = String((res.body as { message?: unknown } | undefined)?.message ?? '');
    // A namespace being deleted refuses new content: nothing to keep there.
    if (res.status === 404 || (res.status === 403 && message.includes('being terminated'))) return;
    if (res.status >= 300) throw new Error(`host apply ${path}: ${res.status} ${message}`);
    // The stored spec (defaults filled) is what the watch echoes back: not taken for an edit.
    this.applied.set(ns, { want, stored: JSON.stringify((res.body as Obj | undefined)?.['spec'] ?? spec) });
  }
}
