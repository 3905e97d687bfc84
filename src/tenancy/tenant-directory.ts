// Which tenants exist: an in-memory view of the host's Tenant objects, kept current by a watch.
// Tenant resolution reads it on every request, so it is a Set lookup, not a host call.
import type { HostClient } from '../host/host-client.js';
import { HostInformer, type InformerEvent } from '../host/host-informer.js';
import type { Logger } from '../log/logger.js';
import { TENANTS_PATH } from './tenant-crd.js';

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

  has(name: string): boolean {
    const t = this.informer.items.get(name);
    return !!t && !t.metadata?.deletionTimestamp;
  }

  names(): string[] {
    return [...this.informer.items.keys()];
  }

  onChange(listener: (e: InformerEvent) => void): void {
    this.listeners.push(listener);
  }
}
