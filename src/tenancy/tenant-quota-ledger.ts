// The tenant-wide quota's bookkeeping: what every tenant uses of it, from host watches of pods,
// Services and PVCs in kplex's host namespaces (listed at start, so usage is recomputed from the
// host's objects), plus reservations of creates admitted but not yet seen. A check and its
// reservation are one synchronous step, so concurrent creates never pass the quota together. A
// reservation ends when the host shows its object (then the object counts), when the create fails
// (release), or after RESERVATION_MS (a create refused after kplex's admission). Under a
// least-privilege deploy the kinds are watched per host namespace (quota-kind-watch.ts); a request
// waits READY_WAIT_MS at most for the lists, then is refused as the apiserver's not-ready admission.
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import { HostInformer, type InformerEvent } from '../hostapi/host-informer.js';
import { forbidden } from '../api/status.js';
import type { Logger } from '../log/logger.js';
import type { PolicyOf, TenantPolicy } from '../limits/tenant-policy.js';
import {
  RESERVATION_ANNOTATION,
  addUsage,
  hardOf,
  quotaRefusal,
  usageOf,
  type QuotaKind,
  type TenantQuotaHooks,
  type QuotaUsage,
} from '../limits/tenant-quota.js';
import { LABEL_MANAGED_BY, LABEL_NAMESPACE, LABEL_TENANT_UID } from '../rewrite/namespace-translator.js';
import { QuotaKindWatch } from './quota-kind-watch.js';

/** How long an admitted create holds its reservation when the host never shows its object. */
export const RESERVATION_MS = 15_000;

/**
 * How long a request waits for the quota's host lists before it is refused ("not yet ready to
 * handle request", as the apiserver's admission plugins answer): under the host's 10 s timeout of
 * kplex's pod webhook, so the tenant sees kplex's refusal, never a webhook timeout.
 */
const READY_WAIT_MS = 7_000;

const KINDS: readonly Exclude<QuotaKind, 'namespaces'>[] = ['pods', 'services', 'persistentvolumeclaims'];

interface Reservation {
  uid: string;
  /** `<kind> <host namespace>/<name>` when the name is known. */
  key?: string;
  usage: QuotaUsage;
  until: number;
}

/** A create to admit against the tenant quota. */
export interface QuotaRequest {
  uid: string;
  kind: QuotaKind;
  hostNamespace: string;
  /** The object's name ('' for generateName: then only its reservation id finds it). */
  name: string;
  object: unknown;
  dryRun: boolean;
  /** The reservation the object already carries (a webhook reinvoked): not counted twice. */
  reservation?: string;
}

/** The hard limits the tenant quota enforces: nodePorts and loadBalancers have their own checks. */
export function enforcedHard(p: TenantPolicy): QuotaUsage {
  return hardOf(p.quota);
}

/** What the tenant sees as its quota's hard limits: the quota and the node port and load balancer caps. */
export function shownQuota(p: TenantPolicy): Record<string, string> {
  return {
    ...p.quota,
    'services.nodeports': String(p.nodePorts),
    'services.loadbalancers': String(p.loadBalancers),
  };
}

const objKey = (kind: string, ns: string, name: string): string => `${kind} ${ns}/${name}`;

export class TenantQuotaLedger implements TenantQuotaHooks {
  private readonly namespaces: HostInformer;
  private readonly watches: QuotaKindWatch[];
  /** Host namespace -> tenant UID. */
  private readonly nsUid = new Map<string, string>();
  /** Host namespace -> what its objects use. */
  private readonly nsUsage = new Map<string, QuotaUsage>();
  /** Object key -> what it was counted as (subtracted when it changes or goes). */
  private readonly counted = new Map<string, { ns: string; usage: QuotaUsage }>();
  private readonly reservations = new Map<string, Reservation>();
  private ready?: Promise<void>;
  /** Ends every wait for readiness at once (stop: nothing keeps the process from exiting). */
  private readonly stopping: Promise<void>;
  private markStopping!: () => void;

  constructor(
    host: HostClient,
    private readonly policyOf: PolicyOf,
    logger: Logger,
    /** The tenant's namespaces as its store counts them (where the quota checks them); else its host namespaces. */
    private readonly namespacesOf: (uid: string) => number | undefined = () => undefined,
  ) {
    this.namespaces = new HostInformer(host, '/api/v1/namespaces', logger, (e) => this.onNamespace(e), {
      query: `labelSelector=${encodeURIComponent(`${LABEL_MANAGED_BY}=kplex`)}`,
      transform: (n) => ({ metadata: { name: n.metadata?.name, labels: n.metadata?.labels } }),
    });
    this.stopping = new Promise((r) => (this.markStopping = r));
    this.watches = KINDS.map(
      (kind) =>
        new QuotaKindWatch(host, kind, logger, (e) => this.onObject(kind, e), {
          key: (o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`,
          // Only what is counted is kept (a pod's spec is large).
          transform: (o) => ({
            metadata: {
              name: o.metadata?.name,
              namespace: o.metadata?.namespace,
              annotations: {
                [RESERVATION_ANNOTATION]: o.metadata?.annotations?.[RESERVATION_ANNOTATION] ?? '',
              },
            },
            usage: kind === 'services' && this.kplexService(o) ? {} : usageOf(kind, o),
          }),
        }),
    );
  }

  /** kplex's own `kubernetes` Service in the tenant's `default` namespace: never the tenant's to pay for. */
  private kplexService(o: KubeObject): boolean {
    const ns = this.namespaces.items.get(o.metadata?.namespace ?? '');
    return (
      o.metadata?.name === 'kubernetes' &&
      o.metadata.labels?.[LABEL_MANAGED_BY] === 'kplex' &&
      ns?.metadata?.labels?.[LABEL_NAMESPACE] === 'default'
    );
  }

  /** Resolves once every list is in: usage is the host's from then on. */
  start(): Promise<void> {
    this.ready ??= (async () => {
      await this.namespaces.start();
      await Promise.all(this.watches.map((w) => w.start()));
    })();
    return this.ready;
  }

  stop(): void {
    this.namespaces.stop();
    for (const w of this.watches) w.stop();
    this.markStopping();
  }

  /**
   * Waits (READY_WAIT_MS at most) until the tenant's usage is the host's: every list in, and
   * under per-namespace watches those of the tenant's host namespaces; else the apiserver's 403.
   */
  private async whenReady(uid: string, resource: string, name: string): Promise<void> {
    const ready = (async () => {
      await this.start();
      const mine = [...this.nsUid].filter(([, u]) => u === uid).map(([ns]) => ns);
      await Promise.all(this.watches.map((w) => w.synced(mine)));
      return true;
    })();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), READY_WAIT_MS).unref()));
    const ok = await Promise.race([ready, late, this.stopping.then(() => false)]);
    clearTimeout(timer);
    if (!ok) throw forbidden({ group: '', resource }, name, 'not yet ready to handle request');
  }

  /**
   * Admits a create against the tenant's quota: throws the apiserver's quota refusal, else returns
   * the reservation that holds its usage until the host shows the object (none on a dry run).
   */
  async reserve(r: QuotaRequest): Promise<string | undefined> {
    await this.whenReady(r.uid, r.kind, r.name);
    if (r.reservation && this.reservations.get(r.reservation)?.uid === r.uid) return r.reservation;
    const hard = enforcedHard(this.policyOf(r.uid));
    const requested = usageOf(r.kind, r.object);
    const p = this.policyOf(r.uid);
    const refusal = quotaRefusal(
      { group: '', resource: r.kind },
      r.name,
      requested,
      this.used(r.uid),
      hard,
      p.quota,
    );
    if (refusal) throw refusal;
    if (r.dryRun) return undefined;
    const id = randomUUID();
    this.reservations.set(id, {
      uid: r.uid,
      ...(r.name ? { key: objKey(r.kind, r.hostNamespace, r.name) } : {}),
      usage: requested,
      until: Date.now() + RESERVATION_MS,
    });
    return id;
  }

  async admit(uid: string, r: Parameters<TenantQuotaHooks['admit']>[1]): Promise<void> {
    await this.reserve({ uid, ...r });
  }

  async figures(uid: string): Promise<{ hard: Record<string, string>; used: QuotaUsage }> {
    await this.whenReady(uid, 'resourcequotas', '');
    const used = this.used(uid, false);
    const namespaces = this.namespacesOf(uid);
    if (namespaces !== undefined) used['namespaces'] = BigInt(namespaces) * 1000n;
    return { hard: shownQuota(this.policyOf(uid)), used };
  }

  /** A create kplex sent failed: its reservation ends now. */
  release(kind: string, hostNamespace: string, name: string): void {
    const key = objKey(kind, hostNamespace, name);
    for (const [id, r] of this.reservations) if (r.key === key) this.reservations.delete(id);
  }

  /** The tenant's usage now: its objects on the host, its namespaces, and what is reserved. */
  used(uid: string, withReservations = true): QuotaUsage {
    const out: QuotaUsage = {};
    for (const [ns, u] of this.nsUid)
      if (u === uid) {
        addUsage(out, this.nsUsage.get(ns) ?? {});
        out['namespaces'] = (out['namespaces'] ?? 0n) + 1000n;
      }
    if (withReservations) {
      const now = Date.now();
      for (const [id, r] of this.reservations)
        if (r.until < now) this.reservations.delete(id);
        else if (r.uid === uid) addUsage(out, r.usage);
    }
    return out;
  }

  private onNamespace(e: InformerEvent): void {
    const name = e.object.metadata?.name ?? '';
    const uid = e.object.metadata?.labels?.[LABEL_TENANT_UID];
    if (e.type === 'DELETED' || !uid) {
      this.nsUid.delete(name);
      for (const w of this.watches) w.namespaceGone(name);
    } else {
      this.nsUid.set(name, uid);
      for (const w of this.watches) w.namespaceAdded(name);
    }
  }

  private onObject(kind: QuotaKind, e: InformerEvent): void {
    const o = e.object as KubeObject & { usage?: QuotaUsage };
    const ns = o.metadata?.namespace ?? '';
    const key = objKey(kind, ns, o.metadata?.name ?? '');
    const before = this.counted.get(key);
    if (before) addUsage(this.nsUsage.get(before.ns) ?? {}, before.usage, -1n);
    if (e.type === 'DELETED') this.counted.delete(key);
    else {
      const usage = o.usage ?? {};
      this.counted.set(key, { ns, usage });
      if (!this.nsUsage.has(ns)) this.nsUsage.set(ns, {});
      addUsage(this.nsUsage.get(ns)!, usage);
    }
    // The host shows the object: it counts from now on, its reservation no longer.
    const id = o.metadata?.annotations?.[RESERVATION_ANNOTATION];
    if (id) this.reservations.delete(id);
    for (const [rid, r] of this.reservations) if (r.key === key) this.reservations.delete(rid);
  }
}
