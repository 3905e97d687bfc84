// A tenant's PriorityClasses and RuntimeClasses reach the host as classes of tenant-owned names
// (syncer/host-classes.ts); this plugin is their admission:
// - a RuntimeClass's handler must be one the Tenant allows (policy.allowedRuntimeClasses, unset:
//   any), and its scheduling tolerations, which the host adds to every pod of the class, must be
//   ones the tenant's pods may have themselves (node-placement.ts);
// - a pod naming a class the tenant does not have is refused as the apiserver's Priority and
//   RuntimeClass admission refuse it (in the tenant's names, from its own store, so a class it just
//   deleted is gone at once), and before a pod or pod template naming one goes to the host, its
//   host class is made sure of (the host resolves the name when the pod is admitted).
import type { KubeObject } from '../api/object.js';
import { forbidden, internalError } from '../api/status.js';
import type { TenantPolicy } from '../limits/tenant-policy.js';
import { SYSTEM_PRIORITY_CLASSES } from '../limits/tenant-policy.js';
import type { TenantStore } from '../store/types.js';
import type { AdmissionAttributes } from './attributes.js';
import type { AdmissionPlugin } from './chain.js';
import { refusedToleration } from './node-placement.js';
import { POD_SPECS, at } from './workload-policy.js';

type Obj = Record<string, unknown>;
type ClassKind = 'PriorityClass' | 'RuntimeClass';

/** What the plugin needs of the host side (syncer/host-classes.ts HostClasses). */
export interface ClassSync {
  ensure(kind: ClassKind, cls: KubeObject): Promise<void>;
}

/** The pod spec field naming each kind, the tenant's resource, and the apiserver's refusal of a missing one. */
const CLASSES: readonly {
  kind: ClassKind;
  field: string;
  gr: { group: string; resource: string };
  missing: (name: string) => string;
}[] = [
  {
    kind: 'PriorityClass',
    field: 'priorityClassName',
    gr: { group: 'scheduling.k8s.io', resource: 'priorityclasses' },
    missing: (n) => `no PriorityClass with name ${n} was found`,
  },
  {
    kind: 'RuntimeClass',
    field: 'runtimeClassName',
    gr: { group: 'node.k8s.io', resource: 'runtimeclasses' },
    missing: (n) => `pod rejected: RuntimeClass ${JSON.stringify(n)} not found`,
  },
];

const gr = (a: AdmissionAttributes): string => `${a.resource.group}/${a.resource.resource}`;
const writes = (a: AdmissionAttributes): boolean =>
  (a.operation === 'CREATE' || a.operation === 'UPDATE') && !a.subresource;

/** RuntimeClass handler and scheduling tolerations, by the Tenant policy. */
export function runtimeClassPolicy(policyOf: () => TenantPolicy): AdmissionPlugin {
  return {
    name: 'TenantRuntimeClasses',
    handles: (a) => writes(a) && gr(a) === 'node.k8s.io/runtimeclasses',
    async validate(a) {
      if (!a.object) return [];
      const policy = policyOf();
      const res = { group: a.resource.group, resource: a.resource.resource };
      const handler = a.object['handler'];
      const allowed = policy.allowedRuntimeClasses;
      if (
        allowed &&
        typeof handler === 'string' &&
        !allowed.includes(handler) &&
        handler !== a.oldObject?.['handler']
      )
        throw forbidden(
          res,
          a.name,
          `handler: ${JSON.stringify(handler)} is not one of the runtime handlers this tenant may use: ${allowed.map((h) => JSON.stringify(h)).join(', ') || 'none'}`,
        );
      const had = new Set(
        ((at(a.oldObject, ['scheduling', 'tolerations']) as unknown[] | undefined) ?? []).map((t) =>
          JSON.stringify(t),
        ),
      );
      const tolerations = at(a.object, ['scheduling', 'tolerations']);
      (Array.isArray(tolerations) ? (tolerations as Obj[]) : []).forEach((t, i) => {
        if (!t || typeof t !== 'object' || had.has(JSON.stringify(t))) return;
        const why = refusedToleration(t, policy.allowedTolerations);
        if (why) throw forbidden(res, a.name, `scheduling.tolerations[${i}]: ${why}`);
      });
      return [];
    },
  };
}

/** Pods and pod templates naming the tenant's classes: refused when missing (pods), host classes ensured. */
export function podClasses(store: () => TenantStore, sync: ClassSync | undefined): AdmissionPlugin {
  const lookup = (c: (typeof CLASSES)[number], name: string): KubeObject | undefined =>
    store().get({ ...c.gr, namespace: '', name })?.object;
  return {
    name: 'TenantPodClasses',
    handles: (a) => writes(a) && gr(a) in POD_SPECS,
    async prepare(a) {
      const spec = at(a.object, POD_SPECS[gr(a)]!) as Obj | undefined;
      const pod = gr(a) === '/pods';
      for (const c of CLASSES) {
        const name = spec?.[c.field];
        if (typeof name !== 'string' || !name) continue;
        if (c.kind === 'PriorityClass' && SYSTEM_PRIORITY_CLASSES.includes(name)) continue;
        const cls = lookup(c, name);
        // The apiserver refuses a pod (not a template: its pods fail later) naming a missing class.
        if (!cls || cls.metadata?.deletionTimestamp) {
          if (pod && a.operation === 'CREATE')
            throw forbidden({ group: '', resource: 'pods' }, a.name, c.missing(name));
          continue;
        }
        // A dry run too: the host's dry run resolves the name, and the class is the tenant's already.
        if (!sync) continue;
        try {
          await sync.ensure(c.kind, cls);
        } catch (err) {
          throw internalError(err);
        }
      }
    },
  };
}
