// The Tenant custom resource (tenants.kplex.io) that kplex installs on the host: one
// cluster-scoped object per tenant; its name is the tenant's name and endpoint path.
import {
  TENANT_NAME_CEL_MESSAGE,
  TENANT_NAME_MAX,
  TENANT_NAME_PATTERN,
  tenantNameCelRule,
} from './tenant-name.js';
import { limitsSchema } from '../limits/limits.js';
import { policySchema } from '../limits/tenant-policy.js';

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
    names: {
      plural: 'tenants',
      singular: 'tenant',
      kind: 'Tenant',
      listKind: 'TenantList',
      shortNames: ['tn'],
    },
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
            // Reserved names are refused by the host too, not only by `kplex tenant create`.
            'x-kubernetes-validations': [{ rule: tenantNameCelRule(), message: TENANT_NAME_CEL_MESSAGE }],
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: {
                type: 'object',
                properties: {
                  name: { type: 'string', maxLength: TENANT_NAME_MAX, pattern: TENANT_NAME_PATTERN },
                },
              },
              spec: {
                type: 'object',
                description:
                  "Tenant policy: resource limits of kplex's process (limits) and what the tenant's workloads may do on the host (policy).",
                'x-kubernetes-preserve-unknown-fields': true,
                properties: { limits: limitsSchema(), policy: policySchema() },
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
