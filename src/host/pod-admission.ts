// The tenant's admission webhooks for pods host controllers create from the tenant's workloads
// (a Deployment's ReplicaSet, a Job...): those pods never pass through kplex, only through its host
// pod webhook (src/syncer/pod-webhook.ts), which asks here. The pod is shown to the webhooks in
// the tenant's names, with the host requester as the user (as a real cluster shows its
// controllers); a mutated pod goes back in host form, a denial becomes the host's refusal.
import type { AdmissionAttributes } from '../admission/attributes.js';
import { AdmissionChain } from '../admission/chain.js';
import type { KubeObject } from '../api/object.js';
import { isStatusError } from '../api/status.js';
import type { HostClient } from '../hostapi/host-client.js';
import {
  hostOnlyKeys,
  objectToHost,
  objectToVirtual,
  restoreHostOnlyKeys,
} from '../rewrite/object-rewrite.js';
import type { PodWebhookDeps, TenantPodVerdict } from '../syncer/pod-webhook.js';
import { POD_WEBHOOK_TIMEOUT_SECONDS } from '../syncer/webhook-registration.js';
import type { TenantRuntime } from '../tenancy/tenant-runtime.js';
import { tenantScope } from './tenant-scope.js';

/** The name of the tenant webhooks' plugin in the tenant's chain (src/admission/webhooks/plugin.ts). */
const WEBHOOKS = 'AdmissionWebhooks';

export function tenantPodAdmission(
  host: HostClient,
  runtime: (tenant: string) => Promise<TenantRuntime>,
): NonNullable<PodWebhookDeps['tenantAdmission']> {
  return async (target, r): Promise<TenantPodVerdict> => {
    const rt = await runtime(target.tenant);
    // Only the webhooks: the tenant's other plugins judged the workload, the host judges its pods.
    const chain = new AdmissionChain(rt.admission.plugins.filter((p) => p.name === WEBHOOKS));
    const a: AdmissionAttributes = {
      operation: 'CREATE',
      resource: { group: '', version: 'v1', resource: 'pods' },
      subresource: '',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      namespace: target.namespace,
      name: '',
      object: null,
      oldObject: null,
      user: r.userInfo ?? { username: '', groups: [] },
      dryRun: r.dryRun,
      options: {
        kind: 'CreateOptions',
        apiVersion: 'meta.k8s.io/v1',
        ...(r.dryRun ? { dryRun: ['All'] } : {}),
      },
    };
    // From the coordinates alone: a tenant without pod webhooks costs no copy of the pod.
    if (!chain.wantsObjects(a)) return {};
    const map = tenantScope(rt).namespaceMap();
    const kept = hostOnlyKeys(r.object);
    const pod = structuredClone(r.object) as KubeObject;
    objectToVirtual(pod, map);
    a.object = pod;
    a.name = pod.metadata?.name ?? '';
    // The host waits POD_WEBHOOK_TIMEOUT_SECONDS for kplex's answer: the tenant's webhooks end before.
    const env = {
      hostClient: host,
      hostNamespaceOf: (ns: string) => map.hostOf(ns),
      deadline: Date.now() + (POD_WEBHOOK_TIMEOUT_SECONDS - 2) * 1000,
    };
    try {
      await chain.mutateObjects(a, env);
      await chain.admitObjects(a, env);
    } catch (err) {
      if (!isStatusError(err)) throw err;
      return { denied: { code: err.code, message: err.status.message ?? '' } };
    }
    if (!a.mutated) return {};
    objectToHost(pod, map, r.namespace);
    restoreHostOnlyKeys(pod, kept);
    return { object: pod as Record<string, unknown> };
  };
}
