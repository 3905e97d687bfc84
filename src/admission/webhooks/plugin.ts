// The tenant's admission webhooks as one plugin of its admission chain: mutating webhooks in the
// chain's mutation phase, validating webhooks after the other validations (the apiserver's
// MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins, last of their phases).
import type { AdmissionAttributes } from '../attributes.js';
import type { AdmissionEnv, AdmissionPlugin } from '../chain.js';
import type { TenantStore } from '../../store/types.js';
import { WebhookConfigurations } from './configurations.js';
import { type DispatchEnv, dispatchMutating, dispatchValidating } from './dispatch.js';
import { isExempt, rulesInvocation } from './match.js';
import { crdEquivalents } from './equivalents.js';

export interface TenantWebhooksDeps {
  store: () => TenantStore;
  /** The Tenant's policy allows `url:` webhooks (read per request). */
  urlsAllowed: () => boolean;
}

export function tenantWebhooks(d: TenantWebhooksDeps): AdmissionPlugin {
  const configs = new WebhookConfigurations(d.store);
  const equivalents = crdEquivalents(d.store);
  const env = (e: AdmissionEnv): DispatchEnv => ({
    host: e.hostClient,
    deadline: e.deadline,
    hostNamespaceOf: e.hostNamespaceOf,
    urlsAllowed: d.urlsAllowed(),
    equivalents,
    namespaceLabels: (ns) =>
      d.store().get({ group: '', resource: 'namespaces', namespace: '', name: ns })?.object.metadata?.labels,
  });
  const applies = (a: AdmissionAttributes, kind: 'mutating' | 'validating') =>
    !isExempt(a) && configs.hooks(kind).some((h) => rulesInvocation(h.webhook, a, equivalents));
  return {
    name: 'AdmissionWebhooks',
    handles: (a) => applies(a, 'mutating') || applies(a, 'validating'),
    mutate: (a, e) =>
      applies(a, 'mutating') ? dispatchMutating(configs.hooks('mutating'), a, env(e)) : Promise.resolve([]),
    validate: (a, e) =>
      applies(a, 'validating')
        ? dispatchValidating(configs.hooks('validating'), a, env(e))
        : Promise.resolve([]),
  };
}
