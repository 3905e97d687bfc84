// A tenant's PriorityClasses and RuntimeClasses reach the host as classes of tenant-owned names
// (syncer/host-classes.ts); this plugin is their admission:
// - a pod or pod template may name a RuntimeClass only if its handler is one the Tenant allows
//   and its tolerations are ones the pod could have itself (the class itself is the tenant's
//   description: any handler may be written, as on a cluster whose nodes lack it);
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
  /** The handlers of the host's own RuntimeClasses (not tenants'). */
  hostHandlers(): Promise<readonly string[]>;
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

/**
 * Why pods may not use the tenant's RuntimeClass `rc`, or undefined: its handler must be one the
 * Tenant allows (unset: a handler of one of the host's own RuntimeClasses, which the platform
 * set up for workloads), and its scheduling tolerations, which the host adds to every pod of the
 * class, ones the tenant's pods may have themselves (node-placement.ts).
 */
async function runtimeClassRefusal(
  rc: KubeObject,
  policy: TenantPolicy,
  sync: ClassSync | undefined,
): Promise<string | undefined> {
  const name = JSON.stringify(rc.metadata?.name ?? '');
  const handler = typeof rc['handler'] === 'string' ? rc['handler'] : '';
  const allowed = policy.allowedRuntimeClasses ?? (await sync?.hostHandlers()) ?? [];
  if (!allowed.includes(handler))
    return `RuntimeClass ${name} has handler ${JSON.stringify(handler)}, which is not one of the runtime handlers this tenant's pods may use: ${allowed.map((h) => JSON.stringify(h)).join(', ') || 'none'}`;
  const tolerations = at(rc, ['scheduling', 'tolerations']);
  for (const t of Array.isArray(tolerations) ? (tolerations as Obj[]) : []) {
    const why = t && typeof t === 'object' ? refusedToleration(t, policy.allowedTolerations) : undefined;
    if (why) return `RuntimeClass ${name} adds a toleration: ${why}`;
  }
  return undefined;
}

/** Pods and pod templates naming the tenant's classes: refused when missing (pods), host classes ensured. */
export function podClasses(
  store: () => TenantStore,
  policyOf: () => TenantPolicy,
  sync: ClassSync | undefined,
): AdmissionPlugin {
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
        // What the object already named may stay on an update (a tightened policy never blocks a label).
        const had = (at(a.oldObject, POD_SPECS[gr(a)]!) as Obj | undefined)?.[c.field] === name;
        if (c.kind === 'RuntimeClass' && !had) {
          const why = await runtimeClassRefusal(cls, policyOf(), sync);
          if (why)
            throw forbidden(a.resource, a.name, `${POD_SPECS[gr(a)]!.join('.')}.runtimeClassName: ${why}`);
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
