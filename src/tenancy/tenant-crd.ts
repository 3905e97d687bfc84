// The Tenant custom resource (tenants.kplex.io) that kplex installs on the host: one
// cluster-scoped object per tenant; its name is the tenant's name and endpoint path.
import { limitsSchema } from '../limits/limits.js';

export const TENANT_GROUP = 'kplex.io';
export const TENANT_VERSION = 'v1alpha1';
export const TENANTS_PATH = `/apis/${TENANT_GROUP}/${TENANT_VERSION}/tenants`;

export const tenantCRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `tenants.${TENANT_GROUP}` },
  spec: {
    group: TENANT_GROUP,
    scope: 'Cluster',
    names: { plural: 'tenants', singular: 'tenant', kind: 'Tenant', listKind: 'TenantList', shortNames: ['tn'] },
    versions: [
      {
        name: TENANT_VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Endpoint', type: 'string', jsonPath: '.status.endpoint' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: {
                type: 'object',
                properties: { name: { type: 'string', maxLength: 40, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' } },
              },
              spec: {
                type: 'object',
                description: 'Tenant policy: resource limits (limits); placement and Pod Security level arrive with the workload-isolation issue.',
                'x-kubernetes-preserve-unknown-fields': true,
                properties: { limits: limitsSchema() },
              },
              status: {
                type: 'object',
                properties: { endpoint: { type: 'string' }, phase: { type: 'string' } },
              },
            },
          },
        },
      },
    ],
  },
} as const;

/** Tenant names: DNS labels of at most 40 characters, so `<tenant>-<namespace>` host names stay readable. */
export function validTenantName(name: string): boolean {
  return name.length > 0 && name.length <= 40 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name);
}
