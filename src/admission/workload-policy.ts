// The tenant workload policy as admission plugins (Tenant spec.policy, limits/tenant-policy.ts):
// what tenants may not do on the host's shared nodes and network unless their Tenant allows it.
// Pod Security is not here: the host's own PodSecurity admission enforces it through the labels
// kplex sets on host namespaces (tenancy/host-namespaces.ts), controller-made pods included.
import { forbidden } from '../api/status.js';
import { SYSTEM_PRIORITY_CLASSES, type TenantPolicy } from '../limits/tenant-policy.js';
import type { AdmissionAttributes } from './attributes.js';
import type { AdmissionPlugin } from './chain.js';
import { allowList, inList } from './ip-lists.js';

type Obj = Record<string, unknown>;

/**
 * Where each pod-making kind keeps its pod spec: a Deployment's pods are made by the host's
 * controllers, never through kplex, so their template is judged when the workload is written.
 */
export const POD_SPECS: Readonly<Record<string, readonly string[]>> = {
  '/pods': ['spec'],
  '/podtemplates': ['template', 'spec'],
  '/replicationcontrollers': ['spec', 'template', 'spec'],
  'apps/deployments': ['spec', 'template', 'spec'],
  'apps/replicasets': ['spec', 'template', 'spec'],
  'apps/statefulsets': ['spec', 'template', 'spec'],
  'apps/daemonsets': ['spec', 'template', 'spec'],
  'batch/jobs': ['spec', 'template', 'spec'],
  'batch/cronjobs': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Requests that place a pod on a node directly (the host's scheduler's job): refused outright. */
const BINDINGS = new Set(['/pods/binding', '/bindings/']);

const gr = (a: AdmissionAttributes): string => `${a.resource.group}/${a.resource.resource}`;
export const at = (o: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Obj)[k] : undefined), o);

/** pods/binding and bindings: refused before anything else happens (no host call). */
export function podBindings(): AdmissionPlugin {
  return {
    name: 'TenantPodBindings',
    handles: (a) => a.operation === 'CREATE' && BINDINGS.has(`${gr(a)}/${a.subresource}`),
    validateRequest(a) {
      throw forbidden(
        { group: '', resource: a.resource.resource },
        a.name,
        "binding pods to nodes is not permitted for tenants: the host's scheduler places them",
      );
    },
  };
}

/** Node placement and priority of pods and pod templates: nodeName and the host's system priority classes. */
export function podPlacement(policyOf: () => TenantPolicy): AdmissionPlugin {
  return {
    name: 'TenantPodPlacement',
    handles: (a) =>
      (a.operation === 'CREATE' || a.operation === 'UPDATE') && !a.subresource && gr(a) in POD_SPECS,
    async validate(a) {
      const path = POD_SPECS[gr(a)];
      if (!path || !a.object) return [];
      const spec = at(a.object, path) as Obj | undefined;
      const old = at(a.oldObject, path) as Obj | undefined;
      const field = path.join('.');
      const nodeName = spec?.['nodeName'];
      // An update keeps what the object already had (a pod bound by the scheduler has a nodeName).
      if (typeof nodeName === 'string' && nodeName && nodeName !== old?.['nodeName'])
        throw forbidden(
          { group: a.resource.group, resource: a.resource.resource },
          a.name,
          `${field}.nodeName: setting a node is not permitted for tenant pods: the host's scheduler places them`,
        );
      const pc = spec?.['priorityClassName'];
      if (
        typeof pc === 'string' &&
        SYSTEM_PRIORITY_CLASSES.includes(pc) &&
        pc !== old?.['priorityClassName'] &&
        !policyOf().allowedPriorityClasses.includes(pc)
      )
        throw forbidden(
          { group: a.resource.group, resource: a.resource.resource },
          a.name,
          `pods with ${pc} priorityClass is not permitted in ${a.namespace} namespace`,
        );
      return [];
    },
  };
}

/**
 * Service externalIPs (CVE-2020-8554: traffic to them is captured on every node), as the
 * apiserver's DenyServiceExternalIPs plugin but with the Tenant's allow-list: an address the
 * Service already had may stay (so an update that removes some passes).
 */
export function serviceExternalIPs(policyOf: () => TenantPolicy): AdmissionPlugin {
  return {
    name: 'TenantServiceExternalIPs',
    handles: (a) =>
      (a.operation === 'CREATE' || a.operation === 'UPDATE') && !a.subresource && gr(a) === '/services',
    async validate(a) {
      const ips = at(a.object, ['spec', 'externalIPs']);
      if (!Array.isArray(ips) || ips.length === 0) return [];
      const had = new Set((at(a.oldObject, ['spec', 'externalIPs']) as unknown[] | undefined) ?? []);
      const allowed = allowList(policyOf().externalIPs);
      for (const ip of ips) {
        if (had.has(ip)) continue;
        const s = String(ip);
        if (!inList(allowed, s))
          throw forbidden(
            { group: '', resource: 'services' },
            a.name,
            `use of external IPs is denied by admission control: spec.externalIPs: ${s} is not in the tenant's allowed external IPs`,
          );
      }
      return [];
    },
  };
}
