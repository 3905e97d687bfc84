// Which nodes a tenant's pods may land on (Tenant spec.policy.nodeSelector, allowedTolerations):
// every pod and pod template selects the Tenant's nodes, and tolerates only node conditions
// (node.kubernetes.io/*: not-ready, unreachable, pressure...) and the taints its Tenant allows. So
// by default a tenant cannot tolerate every taint (`operator: Exists` without a key) or the control
// plane's, which keeps its pods off control-plane and other dedicated nodes. Controller-made pods
// come from templates written through kplex, judged here.
import { forbidden } from '../api/status.js';
import type { AllowedToleration, TenantPolicy } from '../limits/tenant-policy.js';
import type { AdmissionPlugin } from './chain.js';
import { POD_SPECS, at } from './workload-policy.js';

type Obj = Record<string, unknown>;

/** Taint keys any pod may tolerate: node conditions, which say nothing of whose node it is. */
const CONDITION_TAINTS = 'node.kubernetes.io/';

const groupResource = (g: string, r: string): string => `${g}/${r}`;

function allowedBy(t: Obj, e: AllowedToleration): boolean {
  if (t['key'] !== e.key) return false;
  if (e.effect && t['effect'] !== e.effect) return false;
  // A value-bound allowance covers only Equal tolerations of that value (Exists matches every value).
  if (e.value !== undefined) return t['operator'] !== 'Exists' && (t['value'] ?? '') === e.value;
  return true;
}

/** Why a toleration is not the tenant's to have; undefined when it is. */
export function refusedToleration(t: Obj, allowed: readonly AllowedToleration[]): string | undefined {
  const key = typeof t['key'] === 'string' ? t['key'] : '';
  if (allowed.some((e) => allowedBy(t, e))) return undefined;
  if (!key) return 'a toleration of every taint is not permitted for tenant pods';
  if (key.startsWith(CONDITION_TAINTS)) return undefined;
  return `a toleration of the taint ${JSON.stringify(key)} is not permitted for this tenant's pods (the Tenant allows the taints of its own nodes)`;
}

export function podNodeBounds(policyOf: () => TenantPolicy): AdmissionPlugin {
  return {
    name: 'TenantPodNodeBounds',
    handles: (a) =>
      (a.operation === 'CREATE' || a.operation === 'UPDATE') &&
      !a.subresource &&
      groupResource(a.resource.group, a.resource.resource) in POD_SPECS,
    async validate(a) {
      const path = POD_SPECS[groupResource(a.resource.group, a.resource.resource)]!;
      const spec = (at(a.object, path) ?? {}) as Obj;
      const old = (at(a.oldObject, path) ?? {}) as Obj;
      const gr = { group: a.resource.group, resource: a.resource.resource };
      const field = path.join('.');
      const policy = policyOf();
      const selector = (spec['nodeSelector'] ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(policy.nodeSelector))
        if (selector[k] !== v)
          throw forbidden(
            gr,
            a.name,
            `${field}.nodeSelector: must select ${k}=${v} (the nodes of this tenant)`,
          );
      const had = new Set(
        (Array.isArray(old['tolerations']) ? old['tolerations'] : []).map((t) => JSON.stringify(t)),
      );
      const tolerations = Array.isArray(spec['tolerations']) ? (spec['tolerations'] as Obj[]) : [];
      tolerations.forEach((t, i) => {
        if (!t || typeof t !== 'object' || had.has(JSON.stringify(t))) return;
        const why = refusedToleration(t, policy.allowedTolerations);
        if (why) throw forbidden(gr, a.name, `${field}.tolerations[${i}]: ${why}`);
      });
      return [];
    },
  };
}
