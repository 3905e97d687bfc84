// THE registration of a tenant's admission plugins, in the order they run. A new plugin (pod
// translation, tenant policy, webhooks) is one line here.
import type { TenantStore } from '../store/types.js';
import { AdmissionChain } from './chain.js';
import { namespaceLifecycle } from './namespace-lifecycle.js';
import type { ValidatingPolicies } from './policy/validating-policies.js';
import { validatingAdmissionPolicy } from './policy/plugin.js';

export interface TenantAdmission {
  store: () => TenantStore;
  policies: ValidatingPolicies;
}

export function admissionChain(t: TenantAdmission): AdmissionChain {
  return new AdmissionChain([namespaceLifecycle(t.store), validatingAdmissionPolicy(t.policies)]);
}
