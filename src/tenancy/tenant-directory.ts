// Which tenants exist: an in-memory view of the host's Tenant objects, kept current by a watch.
// Tenant resolution reads it on every request, so it is a Set lookup, not a host call.
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import { HostInformer, type InformerEvent } from '../hostapi/host-informer.js';
import type { Logger } from '../log/logger.js';
import { TENANTS_PATH } from './tenant-crd.js';
import { validTenantName } from './tenant-name.js';

export class TenantDirectory {
  private readonly informer: HostInformer;
  private readonly listeners: ((e: InformerEvent) => void)[] = [];
  /** The last Tenant object seen per name, to tell a re-created tenant from an update. */
  private readonly seen = new Map<string, KubeObject>();

  constructor(host: HostClient, logger: Logger) {
    this.informer = new HostInformer(host, TENANTS_PATH, logger, (e) => this.dispatch(e));
  }

  /**
   * A tenant deleted and created again while the watch was down arrives as one update with a new
   * UID: listeners see the old tenant's DELETED first, so everything of the old UID is removed.
   */
  private dispatch(e: InformerEvent): void {
    const name = e.object.metadata?.name ?? '';
    const before = this.seen.get(name);
    if (e.type === 'DELETED') this.seen.delete(name);
    else {
      this.seen.set(name, e.object);
      if (before && before.metadata?.uid !== e.object.metadata?.uid) {
        for (const l of this.listeners) l({ type: 'DELETED', object: before });
      }
    }
    for (const l of this.listeners) l(e);
  }

  /** Resolves after the first list of Tenant objects. */
  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  /** A Tenant of a reserved or invalid name (created before the CRD refused it) is never served. */
  has(name: string): boolean {
    return this.uid(name) !== undefined;
  }

  /** The UID of the live tenant `name` (a Tenant being deleted has none any more). */
  uid(name: string): string | undefined {
    if (!validTenantName(name)) return undefined;
    const t = this.informer.items.get(name);
    return t && !t.metadata?.deletionTimestamp ? t.metadata?.uid : undefined;
  }

  /** The UIDs of every Tenant object (including ones being deleted: their files are still in use). */
  uids(): Set<string> {
    return new Set([...this.informer.items.values()].map((t) => t.metadata?.uid ?? '').filter(Boolean));
  }

  /** The Tenant object `name` as the watch last saw it (status included). */
  get(name: string): KubeObject | undefined {
    return this.informer.items.get(name);
  }

  names(): string[] {
    return [...this.informer.items.keys()];
  }

  onChange(listener: (e: InformerEvent) => void): void {
    this.listeners.push(listener);
  }
}
