// The host's classes a tenant may name (Tenant spec.policy.allowedStorageClasses,
// allowedIngressClasses; unset: any): a StorageClass picks the provisioner and its backing store,
// an IngressClass the controller that serves the traffic (RuntimeClass handlers: class-sync.ts). Judged on the host's dry run, so a class the host's
// defaulting fills in (the default StorageClass, the default IngressClass) counts too.
import { forbidden } from '../api/status.js';
import type { TenantPolicy } from '../limits/tenant-policy.js';
import type { AdmissionAttributes } from './attributes.js';
import type { AdmissionPlugin } from './chain.js';

type ClassField = 'allowedStorageClasses' | 'allowedIngressClasses';

/**
 * Where each kind names a class, as paths below the object (`[]` steps over an array), by
 * group/resource. A pod's runtimeClassName names the tenant's own RuntimeClass (class-sync.ts).
 */
const CLASS_FIELDS: Readonly<Record<string, readonly { path: readonly string[]; policy: ClassField }[]>> = {
  'apps/statefulsets': [
    {
      path: ['spec', 'volumeClaimTemplates', '[]', 'spec', 'storageClassName'],
      policy: 'allowedStorageClasses',
    },
  ],
  '/persistentvolumeclaims': [{ path: ['spec', 'storageClassName'], policy: 'allowedStorageClasses' }],
  'networking.k8s.io/ingresses': [{ path: ['spec', 'ingressClassName'], policy: 'allowedIngressClasses' }],
};

/** The values at a path, with the field path of each (`[]` steps over every item of an array). */
function valuesAt(o: unknown, path: readonly string[], field = ''): { field: string; value: unknown }[] {
  if (!path.length) return [{ field, value: o }];
  const [step, ...rest] = path as [string, ...string[]];
  if (step === '[]')
    return Array.isArray(o) ? o.flatMap((item, i) => valuesAt(item, rest, `${field}[${i}]`)) : [];
  const next = o && typeof o === 'object' ? (o as Record<string, unknown>)[step] : undefined;
  return next === undefined ? [] : valuesAt(next, rest, field ? `${field}.${step}` : step);
}

const groupResource = (a: AdmissionAttributes): string => `${a.resource.group}/${a.resource.resource}`;

export function hostClasses(policyOf: () => TenantPolicy): AdmissionPlugin {
  return {
    name: 'TenantHostClasses',
    handles: (a) =>
      (a.operation === 'CREATE' || a.operation === 'UPDATE') &&
      !a.subresource &&
      groupResource(a) in CLASS_FIELDS,
    async validate(a) {
      const policy = policyOf();
      for (const { path, policy: field } of CLASS_FIELDS[groupResource(a)]!) {
        const allowed = policy[field];
        if (!allowed) continue;
        const had = new Set(valuesAt(a.oldObject, path).map((v) => v.value));
        for (const { field: where, value } of valuesAt(a.object, path)) {
          if (typeof value !== 'string' || !value || allowed.includes(value) || had.has(value)) continue;
          throw forbidden(
            { group: a.resource.group, resource: a.resource.resource },
            a.name,
            `${where}: ${JSON.stringify(value)} is not one of the classes this tenant may use: ${allowed.map((c) => JSON.stringify(c)).join(', ') || 'none'}`,
          );
        }
      }
      return [];
    },
  };
}
