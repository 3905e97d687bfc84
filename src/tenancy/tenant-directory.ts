// Which tenants exist: an in-memory view of the host's Tenant objects, kept current by a watch.
// Tenant resolution reads it on every request, so it is a Set lookup, not a host call.
import type { HostClient } from '../host/host-client.js';
import { HostInformer, type InformerEvent } from '../host/host-informer.js';
import type { Logger } from '../log/logger.js';
import { TENANTS_PATH } from './tenant-crd.js';
import { validTenantName } from './tenant-name.js';

export class TenantDirectory {
  private readonly informer: HostInformer;
  private readonly listeners: ((e: InformerEvent) => void)[] = [];

  constructor(host: HostClient, logger: Logger) {
    this.informer = new HostInformer(host, TENANTS_PATH, logger, (e) => this.listeners.forEach((l) => l(e)));
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

  names(): string[] {
    return [...this.informer.items.keys()];
  }

  onChange(listener: (e: InformerEvent) => void): void {
    this.listeners.push(listener);
  }
}
