// The tenant-wide quota for the host-backed kinds only kplex creates: Services and
// PersistentVolumeClaims (pods are the pod webhook's, where the host admits every pod, a
// controller's too). The count is kept by the quota's ledger (env.quota); a create past the quota
// gets the apiserver's "exceeded quota" refusal naming tenant-quota.kplex.io.
import type { AdmissionPlugin } from './chain.js';

const KINDS = new Set(['services', 'persistentvolumeclaims'] as const);
type Kind = typeof KINDS extends Set<infer K> ? K : never;
const isKind = (r: string): r is Kind => KINDS.has(r as Kind);

export function tenantQuota(): AdmissionPlugin {
  return {
    name: 'TenantQuota',
    handles: (a) =>
      a.operation === 'CREATE' && !a.subresource && a.resource.group === '' && isKind(a.resource.resource),
    async validate(a, env) {
      const kind = a.resource.resource;
      if (!env.quota || !isKind(kind)) return [];
      await env.quota({
        kind,
        hostNamespace: env.hostNamespaceOf?.(a.namespace) ?? '',
        name: a.name || ((a.object as { metadata?: { name?: string } } | null)?.metadata?.name ?? ''),
        object: a.object,
        dryRun: a.dryRun,
      });
      return [];
    },
  };
}
