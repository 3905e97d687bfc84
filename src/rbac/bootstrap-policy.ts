// The bootstrap RBAC policy of Kubernetes v1.32.5 (cluster-admin, admin, edit, view, system:*
// roles and bindings): ONE shared immutable layer every tenant sees under its own objects
// (overlay-store.ts). Data: bootstrap-policy.json, produced as bootstrap-policy.md says.
// Aggregated ClusterRoles (admin, edit, view) carry the rules aggregated over this layer, as a
// fresh cluster's controller would have written them. The system PriorityClasses share the layer.
import { createHash } from 'node:crypto';
import type { KubeObject } from '../api/object.js';
import type { ObjectKey, StoredObject } from '../store/types.js';
import { aggregatedRules, sameRules } from './aggregation.js';
import data from './bootstrap-policy.json' with { type: 'json' };
import type { RoleObject } from './types.js';

/** The resourceVersion every bootstrap object reports: it exists from a tenant's first write on. */
export const BOOTSTRAP_RV = 1;
/** v1.32.5's release date: bootstrap objects were "created" with the release they come from. */
const CREATED = '2025-05-15T00:00:00Z';

function uidOf(kind: string, ns: string, name: string): string {
  const h = createHash('sha256').update(`kplex-bootstrap\0${kind}\0${ns}\0${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const resourceOf: Record<string, string> = {
  ClusterRole: 'clusterroles',
  ClusterRoleBinding: 'clusterrolebindings',
  Role: 'roles',
  RoleBinding: 'rolebindings',
  PriorityClass: 'priorityclasses',
};
const groupOf = (o: KubeObject): string => (o.apiVersion?.includes('/') ? o.apiVersion.split('/')[0]! : '');

/**
 * The PriorityClasses the apiserver creates at start (scheduling/v1 SystemPriorityClasses): every
 * tenant sees them, as on any cluster; their values are the host's too, so a tenant pod naming one
 * gets the same priority from the host.
 */
const SYSTEM_PRIORITY_CLASSES: KubeObject[] = [
  [
    'system-node-critical',
    2000001000,
    'Used for system critical pods that must not be moved from their current node.',
  ],
  [
    'system-cluster-critical',
    2000000000,
    'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  ],
].map(([name, value, description]) => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name: name as string },
  value,
  description,
  preemptionPolicy: 'PreemptLowerPriority',
}));

export const baseKey = (k: { resource: string; namespace: string; name: string }): string =>
  `${k.resource}\0${k.namespace}\0${k.name}`;

export interface BootstrapLayer {
  /** group/resource pairs the layer has objects for. */
  readonly resources: ReadonlySet<string>;
  get(key: ObjectKey): StoredObject | undefined;
  /** Every object of a resource (optionally of one namespace), in list key order. */
  list(group: string, resource: string, namespace?: string): StoredObject[];
}

function build(): BootstrapLayer {
  // Aggregated roles may aggregate aggregated roles (admin <- edit <- view): iterate to a fixpoint.
  let clusterRoles = data.clusterRoles as unknown as RoleObject[];
  for (let changed = true, i = 0; changed && i < 10; i++) {
    const next = clusterRoles.map((r) =>
      r.aggregationRule ? { ...r, rules: aggregatedRules(r, clusterRoles) } : r,
    );
    changed = next.some((r, j) => !sameRules(r.rules, clusterRoles[j]!.rules));
    clusterRoles = next;
  }
  const objects: KubeObject[] = [
    ...clusterRoles,
    ...(data.clusterRoleBindings as unknown as KubeObject[]),
    ...(data.roles as unknown as KubeObject[]),
    ...(data.roleBindings as unknown as KubeObject[]),
    ...SYSTEM_PRIORITY_CLASSES,
  ];
  const byKey = new Map<string, StoredObject>();
  for (const o of objects) {
    const resource = resourceOf[o.kind ?? '']!;
    const group = groupOf(o);
    const ns = o.metadata?.namespace ?? '';
    const name = o.metadata?.name ?? '';
    const object: KubeObject = {
      ...o,
      metadata: {
        ...o.metadata,
        uid: uidOf(o.kind!, ns, name),
        resourceVersion: String(BOOTSTRAP_RV),
        creationTimestamp: CREATED,
      },
    };
    byKey.set(baseKey({ resource, namespace: ns, name }), {
      key: { group, resource, namespace: ns, name },
      rv: BOOTSTRAP_RV,
      object: deepFreeze(object),
    });
  }
  const sorted = [...byKey.values()].sort((a, b) =>
    a.key.namespace !== b.key.namespace
      ? a.key.namespace < b.key.namespace
        ? -1
        : 1
      : a.key.name < b.key.name
        ? -1
        : a.key.name > b.key.name
          ? 1
          : 0,
  );
  return {
    resources: new Set(sorted.map((s) => `${s.key.group}/${s.key.resource}`)),
    get: (key) => {
      const s = byKey.get(baseKey(key));
      return s?.key.group === key.group ? s : undefined;
    },
    list: (group, resource, namespace) =>
      sorted.filter(
        (s) =>
          s.key.group === group &&
          s.key.resource === resource &&
          (namespace === undefined || s.key.namespace === namespace),
      ),
  };
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** The shared layer (built once per process; frozen, so no tenant can change it in memory). */
export const bootstrapPolicy: BootstrapLayer = build();
