// One namespaced kind the tenant quota counts, watched in kplex's host namespaces: one host-wide
// watch when kplex may list the kind cluster-wide (the chart's rbac.clusterWideWatch), else, on
// the host's 403 (a least-privilege deploy), one watch per host namespace through kplex's
// RoleBinding there, started and stopped as the namespaces come and go. A new namespace's binding
// can lag its namespace: its informer retries until the binding is there.
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import { HostInformer, type InformerEvent, type InformerOptions } from '../hostapi/host-informer.js';
import type { Logger } from '../log/logger.js';

interface NamespaceWatch {
  informer: HostInformer;
  synced: Promise<void>;
}

export class QuotaKindWatch {
  private readonly wide: HostInformer;
  private readonly perNamespace = new Map<string, NamespaceWatch>();
  private readonly namespaces = new Set<string>();
  private refused = false;
  private stopped = false;
  private started?: Promise<void>;
  private markRefused!: () => void;

  constructor(
    private readonly host: HostClient,
    /** The plural of a core namespaced kind: pods, services, persistentvolumeclaims. */
    private readonly resource: string,
    private readonly logger: Logger,
    private readonly onEvent: (e: InformerEvent) => void,
    private readonly opts: Omit<InformerOptions, 'onForbidden'>,
  ) {
    this.wide = new HostInformer(host, `/api/v1/${resource}`, logger, onEvent, {
      ...opts,
      onForbidden: () => this.fallBack(),
    });
  }

  /** Resolves after the host-wide list, or at once when the host refused it. */
  start(): Promise<void> {
    this.started ??= Promise.race([this.wide.start(), new Promise<void>((r) => (this.markRefused = r))]);
    return this.started;
  }

  /** Resolves when the kind's objects in these namespaces are listed. */
  async synced(namespaces: Iterable<string>): Promise<void> {
    await this.start();
    if (!this.refused) return;
    await Promise.all([...namespaces].map((ns) => this.perNamespace.get(ns)?.synced));
  }

  namespaceAdded(ns: string): void {
    this.namespaces.add(ns);
    if (this.refused && !this.stopped && !this.perNamespace.has(ns)) this.watchIn(ns);
  }

  namespaceGone(ns: string): void {
    this.namespaces.delete(ns);
    const w = this.perNamespace.get(ns);
    if (!w) return;
    this.perNamespace.delete(ns);
    w.informer.stop();
    for (const o of w.informer.items.values()) this.onEvent({ type: 'DELETED', object: o });
  }

  stop(): void {
    this.stopped = true;
    this.wide.stop();
    for (const w of this.perNamespace.values()) w.informer.stop();
  }

  private fallBack(): void {
    if (this.refused) return;
    this.refused = true;
    this.logger.info(
      { resource: this.resource },
      'the host refuses kplex a cluster-wide list; the tenant quota watches it per host namespace',
    );
    // Objects of an earlier host-wide list (rights revoked since) are listed again per namespace.
    for (const o of this.wide.items.values()) this.onEvent({ type: 'DELETED', object: o as KubeObject });
    if (!this.stopped) for (const ns of this.namespaces) this.watchIn(ns);
    this.markRefused?.();
  }

  private watchIn(ns: string): void {
    const informer = new HostInformer(
      this.host,
      `/api/v1/namespaces/${encodeURIComponent(ns)}/${this.resource}`,
      this.logger,
      this.onEvent,
      this.opts,
    );
    this.perNamespace.set(ns, { informer, synced: informer.start() });
  }
}
