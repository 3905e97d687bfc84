// Where each host group/resource lives for a tenant, as data (design brief, "Where objects live").
// Anything the host serves that is not listed here is REFUSED: host CRDs (tenants.kplex.io and
// every other), RBAC, API registration, certificates... never reach the host from a tenant;
// admission configuration and flow control are the tenant's own (virtual). Rows of the virtual
// built-ins (builtin-virtual.ts) win over host rows.
import type { Placement } from './types.js';

/**
 * Subresources of host rows kplex answers itself (ResourceInfo.computed): a TokenRequest gets a
 * kplex-signed token naming the virtual namespace; a host token would authenticate on the host.
 */
export const HOST_COMPUTED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '/serviceaccounts': { token: 'token-request' },
};

/** `group/resource` (core group: `/resource`) → placement. */
export const HOST_PLACEMENT: Readonly<Record<string, Placement>> = {
  // namespaced kinds stored in the tenant's host namespaces, worked on by the host's controllers
  '/bindings': 'host',
  '/configmaps': 'host',
  '/endpoints': 'host',
  '/events': 'host',
  '/limitranges': 'host',
  '/persistentvolumeclaims': 'host',
  '/pods': 'host',
  '/podtemplates': 'host',
  '/replicationcontrollers': 'host',
  '/resourcequotas': 'host',
  '/secrets': 'host',
  '/serviceaccounts': 'host',
  '/services': 'host',
  'apps/controllerrevisions': 'host',
  'apps/daemonsets': 'host',
  'apps/deployments': 'host',
  'apps/replicasets': 'host',
  'apps/statefulsets': 'host',
  'autoscaling/horizontalpodautoscalers': 'host',
  'batch/cronjobs': 'host',
  'batch/jobs': 'host',
  'coordination.k8s.io/leases': 'host',
  'discovery.k8s.io/endpointslices': 'host',
  'events.k8s.io/events': 'host',
  'networking.k8s.io/ingresses': 'host',
  'networking.k8s.io/networkpolicies': 'host',
  'policy/poddisruptionbudgets': 'host',
  // cluster-scoped host objects a tenant may read (sanitized), never write
  '/nodes': 'host-view',
  '/persistentvolumes': 'host-view',
  // the control plane's health as the host reports it (read-only, as on any cluster)
  '/componentstatuses': 'host-view',
  // the tenant's own descriptions (src/admission/class-kinds.ts); never the host's objects
  'storage.k8s.io/storageclasses': 'virtual',
  'storage.k8s.io/csidrivers': 'virtual',
  'storage.k8s.io/csinodes': 'virtual',
  'storage.k8s.io/volumeattachments': 'virtual',
  'storage.k8s.io/csistoragecapacities': 'virtual',
  'networking.k8s.io/ingressclasses': 'virtual',
  'node.k8s.io/runtimeclasses': 'virtual',
  'scheduling.k8s.io/priorityclasses': 'virtual',
  // served from the tenant's virtual store (builtin-virtual.ts rows win over host rows); listed
  // so these groups read as the tenant's own, never refused
  'admissionregistration.k8s.io/mutatingwebhookconfigurations': 'virtual',
  'admissionregistration.k8s.io/validatingwebhookconfigurations': 'virtual',
  'admissionregistration.k8s.io/validatingadmissionpolicies': 'virtual',
  'admissionregistration.k8s.io/validatingadmissionpolicybindings': 'virtual',
  'flowcontrol.apiserver.k8s.io/flowschemas': 'virtual',
  'flowcontrol.apiserver.k8s.io/prioritylevelconfigurations': 'virtual',
  'apiregistration.k8s.io/apiservices': 'virtual',
  // A tenant's CSRs must never reach the host's signers (that would mint host credentials).
  'certificates.k8s.io/certificatesigningrequests': 'virtual',
};

/** Verbs a read-only view offers, whatever the host allows. */
export const VIEW_VERBS = ['get', 'list', 'watch'];

export function hostPlacement(group: string, resource: string): Placement {
  return HOST_PLACEMENT[`${group}/${resource}`] ?? 'refused';
}
