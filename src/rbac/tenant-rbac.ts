// Everything RBAC of one tenant runtime: its merged store (bootstrap layer + own delta), its
// effective policy (cached until an RBAC object changes), the RBAC strategies and ClusterRole
// aggregation (kept up to date on every ClusterRole write, as the aggregation controller does).
import type { KubeObject } from '../api/object.js';
import type { FullStrategy } from '../registry/strategy.js';
import type { TenantStore } from '../store/types.js';
import { aggregatedRules, sameRules } from './aggregation.js';
import { bootstrapPolicy } from './bootstrap-policy.js';
import { OverlayStore } from './overlay-store.js';
import { RbacPolicy } from './policy.js';
import { rbacStrategies } from './strategies.js';
import { RBAC_GROUP, type RoleObject } from './types.js';

export class TenantRbac {
  readonly store: OverlayStore;
  readonly strategies: Record<string, FullStrategy>;
  private cached?: { generation: number; store: TenantStore; policy: RbacPolicy };

  constructor(private readonly inner: () => TenantStore) {
    this.store = new OverlayStore(inner, bootstrapPolicy);
    this.strategies = rbacStrategies({
      policy: () => this.policy(),
      clusterRoleWritten: () => this.aggregate(),
    });
  }

  /** The tenant's effective RBAC objects (rebuilt after any RBAC write or a store reopen). */
  policy(): RbacPolicy {
    const inner = this.inner();
    const c = this.cached;
    if (c && c.generation === this.store.generation && c.store === inner) return c.policy;
    const policy = new RbacPolicy(this.store);
    this.cached = { generation: this.store.generation, store: inner, policy };
    return policy;
  }

  /** Rewrites the rules of every aggregating ClusterRole whose aggregation result changed. */
  aggregate(): void {
    // A rewritten role may itself be aggregated by another (admin <- edit <- view).
    for (let i = 0; i < 10 && this.aggregateOnce(); i++);
  }

  private aggregateOnce(): boolean {
    let changed = false;
    const items = this.store.list({ group: RBAC_GROUP, resource: 'clusterroles' }).items;
    const roles = items.map((s) => s.object as RoleObject);
    for (const s of items) {
      const role = s.object as RoleObject;
      if (!role.aggregationRule || role.metadata?.deletionTimestamp) continue;
      const rules = aggregatedRules(role, roles);
      if (sameRules(rules, role.rules)) continue;
      const next: KubeObject = { ...role, rules };
      this.store.update(s.key, next);
      changed = true;
    }
    return changed;
  }
}
