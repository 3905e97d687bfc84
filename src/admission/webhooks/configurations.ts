// The tenant's webhook configurations, in the apiserver's order (configurations sorted by name,
// webhooks in their order), re-read only when a configuration changed: each write of the tenant
// costs a version compare, not a list of its configurations.
import type { TenantStore } from '../../store/types.js';
import type { Hook, Webhook } from './types.js';

const GROUP = 'admissionregistration.k8s.io';
export type HookKind = 'mutating' | 'validating';
const RESOURCE: Record<HookKind, string> = {
  mutating: 'mutatingwebhookconfigurations',
  validating: 'validatingwebhookconfigurations',
};

export class WebhookConfigurations {
  private snapshots = new Map<HookKind, { version: string; hooks: Hook[]; store: TenantStore; rv: number }>();

  constructor(private readonly store: () => TenantStore) {}

  hooks(kind: HookKind): Hook[] {
    const store = this.store();
    const resource = RESOURCE[kind];
    const cached = this.snapshots.get(kind);
    // Nothing of the tenant's was written since the last look: not even the version is read.
    const rv = store.currentRV();
    if (cached?.store === store && cached.rv === rv) return cached.hooks;
    const version = String(store.lastChangeRV(GROUP, resource));
    if (cached?.version === version) {
      Object.assign(cached, { store, rv });
      return cached.hooks;
    }
    const configs = store
      .list({ group: GROUP, resource })
      .items.map((s) => s.object)
      .sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
    const hooks: Hook[] = [];
    for (const c of configs) {
      const name = c.metadata?.name ?? '';
      const webhooks = Array.isArray(c['webhooks']) ? (c['webhooks'] as Webhook[]) : [];
      webhooks.forEach((webhook, i) => hooks.push({ uid: `${name}/${i}`, configuration: name, webhook }));
    }
    this.snapshots.set(kind, { version, hooks, store, rv });
    return hooks;
  }
}
