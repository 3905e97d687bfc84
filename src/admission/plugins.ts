// THE registration of a tenant's admission plugins, in the order they run. A new plugin (pod
// translation, tenant policy, webhooks) is one line here.
import type { TenantStore } from '../store/types.js';
import { AdmissionChain } from './chain.js';
import { namespaceLifecycle } from './namespace-lifecycle.js';
import type { ValidatingPolicies } from './policy/validating-policies.js';
import { validatingAdmissionPolicy } from './policy/plugin.js';
import type { TenantPolicy } from '../limits/tenant-policy.js';
import { podBindings, podPlacement, serviceExternalIPs } from './workload-policy.js';
import { loadBalancerStatus, serviceAddresses, serviceExternalName } from './service-policy.js';
import { endpointAddresses, ingressHostClaims, tenantNetworkPolicies } from './network-claims.js';
import { claimVolumeName, podVolumes } from './volume-policy.js';
import { persistentVolumeSources } from './volume-sources.js';
import { kplexOwnedNames, operatorOwned } from './reserved-names.js';
import { tenantQuota } from './tenant-quota.js';
import { podNodeBounds } from './node-placement.js';
import { hostClasses } from './class-policy.js';
import { type ClassSync, podClasses } from './class-sync.js';
import { priorityClassDefault } from './priority-default.js';
import { tenantWebhooks } from './webhooks/plugin.js';
import { certificateApproval, certificateSigning, certificateSubjectRestriction } from './csr-admission.js';
import type { RbacPolicy } from '../rbac/policy.js';

export interface TenantAdmission {
  store: () => TenantStore;
  policies: ValidatingPolicies;
  /** The Tenant's workload policy (spec.policy), read per request: a Tenant edit applies at once. */
  policy: () => TenantPolicy;
  /** The Tenant's UID: claims on host-wide names (Ingress hosts) made by this process are per tenant. */
  tenantUid?: string;
  /** The tenant's RBAC: CSR approval and signing ask it about signers. */
  rbac?: () => RbacPolicy;
  /** The tenant's PriorityClasses and RuntimeClasses as host classes (syncer/host-classes.ts). */
  classSync?: ClassSync;
}

export function admissionChain(t: TenantAdmission): AdmissionChain {
  return new AdmissionChain([
    namespaceLifecycle(t.store),
    podBindings(),
    kplexOwnedNames(),
    operatorOwned(),
    podPlacement(t.policy),
    podNodeBounds(t.policy),
    hostClasses(t.policy),
    podClasses(t.store, t.policy, t.classSync),
    priorityClassDefault(t.store),
    podVolumes(t.policy),
    claimVolumeName(),
    persistentVolumeSources(t.policy),
    serviceExternalIPs(t.policy),
    serviceAddresses(t.policy),
    serviceExternalName(),
    loadBalancerStatus(t.policy),
    endpointAddresses(t.policy),
    ingressHostClaims(t.tenantUid ?? ''),
    tenantNetworkPolicies(),
    ...(t.rbac ? [certificateApproval(t.rbac), certificateSigning(t.rbac)] : []),
    certificateSubjectRestriction(),
    validatingAdmissionPolicy(t.policies),
    tenantWebhooks({ store: t.store, urlsAllowed: () => t.policy().webhookURLs }),
    // Last, as the apiserver's ResourceQuota: nothing after it refuses what it reserved.
    tenantQuota(),
  ]);
}
