// Feeds the DNS index from three host watches shared by every tenant: kplex's namespaces (by
// label), Services and Pods of all namespaces, each kept trimmed to the fields DNS reads.
import type { HostClient } from '../hostapi/host-client.js';
import { HostInformer } from '../hostapi/host-informer.js';
import type { Logger } from '../log/logger.js';
import { LABEL_MANAGED_BY } from '../rewrite/namespace-translator.js';
import { DnsIndex } from './dns-index.js';
import { namespacedKey, trimNamespace, trimPod, trimService } from './dns-objects.js';

export class HostDnsSource {
  readonly index = new DnsIndex();
  private readonly informers: HostInformer[];

  constructor(host: HostClient, logger: Logger) {
    const idx = this.index;
    this.informers = [
      new HostInformer(host, '/api/v1/namespaces', logger, (e) => idx.onNamespace(e), {
        query: `labelSelector=${encodeURIComponent(`${LABEL_MANAGED_BY}=kplex`)}`,
        transform: trimNamespace,
      }),
      new HostInformer(host, '/api/v1/services', logger, (e) => idx.onService(e), {
        key: namespacedKey,
        transform: trimService,
      }),
      new HostInformer(host, '/api/v1/pods', logger, (e) => idx.onPod(e), {
        key: namespacedKey,
        transform: trimPod,
      }),
    ];
  }

  /** Resolves after the first list of all three. */
  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
  }

  stop(): void {
    for (const i of this.informers) i.stop();
  }
}
