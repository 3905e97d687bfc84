// Everything RBAC of one tenant runtime: its merged store (bootstrap layer + own delta), its
// effective policy (built once, then updated with each written RBAC object), the RBAC strategies
// and ClusterRole aggregation (kept up to date on every ClusterRole write, as the aggregation
// controller does).
import type { KubeObject } from '../api/object.js';
import type { FullStrategy } from '../registry/strategy.js';
import type { ObjectKey, TenantStore } from '../store/types.js';
import { aggregatedRules, sameRules } from './aggregation.js';
import { bootstrapPolicy } from './bootstrap-policy.js';
import { selectorMatches } from '../api/labels.js';
import { OverlayStore } from './overlay-store.js';
import { RbacPolicy } from './policy.js';
import { rbacStrategies } from './strategies.js';
import { RBAC_GROUP } from './types.js';

/** Rounds of aggregation after one write: aggregated roles may aggregate others (admin <- edit <- view). */
const MAX_AGGREGATION_ROUNDS = 10;

const idOf = (k: ObjectKey): string => `${k.resource}\0${k.namespace}\0${k.name}`;

export class TenantRbac {
  readonly store: OverlayStore;
  readonly strategies: Record<string, FullStrategy>;
  private cached?: { store: TenantStore; policy: RbacPolicy };
  /** RBAC keys written since the policy last read them. */
  private readonly dirty = new Map<string, ObjectKey>();

  constructor(private readonly inner: () => TenantStore) {
    this.store = new OverlayStore(inner, bootstrapPolicy, (key) => this.dirty.set(idOf(key), { ...key }));
    this.strategies = rbacStrategies({
      policy: () => this.policy(),
      clusterRoleWritten: (obj, old) => this.aggregate(obj, old),
    });
  }

  /** The tenant's effective RBAC objects: read in full once per store, then one written key at a time. */
  policy(): RbacPolicy {
    const inner = this.inner();
    const c = this.cached;
    if (!c || c.store !== inner) {
      this.dirty.clear();
      const policy = new RbacPolicy(this.store);
      this.cached = { store: inner, policy };
      return policy;
    }
    if (this.dirty.size) {
      const keys = [...this.dirty.values()];
      this.dirty.clear();
      for (const key of keys) c.policy.apply(key, this.store.get(key)?.object);
    }
    return c.policy;
  }

  /**
   * Rewrites the rules of the aggregating ClusterRoles a ClusterRole write can change: those whose
   * selectors match its labels before or after, and itself when it aggregates; then, round by
   * round, those that aggregate a rewritten one.
   */
  aggregate(obj: KubeObject, old: KubeObject | undefined): void {
    let written: (KubeObject | undefined)[] = [obj, old];
    for (let round = 0; round < MAX_AGGREGATION_ROUNDS && written.length; round++) {
      const policy = this.policy();
      const affected = new Set<string>();
      for (const o of written) {
        if (!o) continue;
        const name = o.metadata?.name ?? '';
        if (policy.aggregating.has(name)) affected.add(name);
        for (const a of policy.aggregating) {
          const sels = policy.clusterRoles.get(a)?.aggregationRule?.clusterRoleSelectors ?? [];
          if (sels.some((sel) => selectorMatches(sel, o.metadata?.labels))) affected.add(a);
        }
      }
      written = [];
      for (const name of affected) {
        const role = this.policy().clusterRoles.get(name);
        if (!role?.aggregationRule || role.metadata?.deletionTimestamp) continue;
        const rules = aggregatedRules(role, [...this.policy().clusterRoles.values()]);
        if (sameRules(rules, role.rules)) continue;
        const key = { group: RBAC_GROUP, resource: 'clusterroles', namespace: '', name };
        const next: KubeObject = { ...(this.store.get(key)?.object ?? role), rules };
        written.push(this.store.update(key, next).object);
      }
    }
  }
}
