// What the pod webhook wires into a tenant pod, named once: the annotations the injected fields
// read from (kplex.io/ keys: a tenant can neither set nor see them), the ConfigMap holding the CA
// that verifies kplex, and the audience of the tenant's pod tokens.

/** The virtual namespace; the downward API and the token volume's `namespace` file read it. */
export const ANNOTATION_NAMESPACE = 'kplex.io/namespace';
/** Where the pod reaches kplex (KUBERNETES_SERVICE_HOST / _PORT read them). */
export const ANNOTATION_API_HOST = 'kplex.io/api-host';
export const ANNOTATION_API_PORT = 'kplex.io/api-port';
/** The pod's own dnsPolicy/dnsConfig (JSON) when the webhook pointed it at kplex's DNS. */
export const ANNOTATION_DNS = 'kplex.io/dns';

/**
 * On kplex's own dry run of a create (host/policy-admission.ts): the host skips the pod webhook for
 * it (webhook-registration.ts). A dry run stores nothing, so no pod is ever admitted untranslated.
 */
export const ANNOTATION_ADMISSION_DRY_RUN = 'kplex.io/admission-dry-run';

/** The host-namespace ConfigMap whose `ca.crt` verifies kplex's serving certificate. */
export const CA_CONFIGMAP = 'kplex-root-ca.crt';
/** The host's own root CA ConfigMap the ServiceAccount admission plugin mounts. */
export const HOST_CA_CONFIGMAP = 'kube-root-ca.crt';

/** Pod tokens name the tenant: the host refuses them, kplex reviews them with this audience. */
export const POD_AUDIENCE_PREFIX = 'kplex:tenant:';
/** The same string as kplex's own tokens (auth/tokens.ts tenantAudience): one audience per tenant. */
export const podTokenAudience = (tenant: string): string => `${POD_AUDIENCE_PREFIX}${tenant}`;

/** The downward-API path of an annotation, as the apiserver's validation spells it. */
export const annotationPath = (key: string): string => `metadata.annotations['${key}']`;

/** The env vars an in-cluster client reads, with the annotation each one comes from. */
export const API_ENV: readonly (readonly [string, string])[] = [
  ['KUBERNETES_SERVICE_HOST', ANNOTATION_API_HOST],
  ['KUBERNETES_SERVICE_PORT', ANNOTATION_API_PORT],
  ['KUBERNETES_SERVICE_PORT_HTTPS', ANNOTATION_API_PORT],
];

/** A tenant pod's place: its tenant, virtual namespace, and where kplex is for pods. */
export interface PodTarget {
  tenant: string;
  namespace: string;
  apiHost: string;
  apiPort: number;
  /** Where pods reach kplex's DNS (port 53); unset: the pod's DNS is left alone. */
  dnsServer?: string;
}

export type Obj = Record<string, unknown>;
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Every container list of a pod spec. */
export const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
