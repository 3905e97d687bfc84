// The ConfigMap in each tenant host namespace whose `ca.crt` verifies kplex's serving certificate
// (the pod token volume projects it where the host's kube-root-ca.crt was). Applied by the webhook
// before a pod that mounts it is admitted; at most once a minute per namespace, so a deleted or
// edited one comes back.
import { LRUCache } from 'lru-cache';
import type { HostClient } from '../hostapi/host-client.js';
import { CA_CONFIGMAP } from './pod-wiring.js';

export class CAConfigMaps {
  private readonly done = new LRUCache<string, true>({ max: 10_000, ttl: 60_000 });

  constructor(
    private readonly host: Pick<HostClient, 'request'>,
    private readonly caCert: string,
  ) {}

  async ensure(hostNamespace: string): Promise<void> {
    if (this.done.get(hostNamespace)) return;
    const res = await this.host.request(
      'PATCH',
      `/api/v1/namespaces/${encodeURIComponent(hostNamespace)}/configmaps/${CA_CONFIGMAP}?fieldManager=kplex&force=true`,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        // Hidden from the tenant's lists and watches (rewrite/object-rewrite.ts HIDDEN_LABEL).
        metadata: {
          name: CA_CONFIGMAP,
          labels: { 'app.kubernetes.io/managed-by': 'kplex', 'kplex.io/hidden': 'true' },
        },
        data: { 'ca.crt': this.caCert },
      },
      'application/apply-patch+yaml',
    );
    if (res.status >= 300) {
      const message = (res.body as { message?: unknown } | undefined)?.message;
      throw new CAConfigMapError(res.status, typeof message === 'string' ? message : '', hostNamespace);
    }
    this.done.set(hostNamespace, true);
  }
}

/** The host refused the CA ConfigMap (e.g. the tenant's own ResourceQuota has no room for it). */
export class CAConfigMapError extends Error {
  constructor(
    readonly status: number,
    readonly hostMessage: string,
    hostNamespace: string,
  ) {
    super(`applying ${CA_CONFIGMAP} in ${hostNamespace}: ${status} ${hostMessage}`);
  }

  /** The quota part of the host's refusal ("exceeded quota: q, requested: …"), if that was the reason. */
  get quota(): string | undefined {
    const at = this.hostMessage.indexOf('exceeded quota:');
    return this.status === 403 && at >= 0 ? this.hostMessage.slice(at) : undefined;
  }
}
