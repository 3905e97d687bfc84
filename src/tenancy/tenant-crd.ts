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

const count = (description: string) => ({ type: 'integer', format: 'int64', minimum: 0, description });

/** Written by kplex (tenancy/tenant-status.ts) through the status subresource. */
const statusSchema = {
  type: 'object',
  description: 'What kplex reports of the tenant: whether it is served, where, and what it uses.',
  properties: {
    endpoint: {
      type: 'string',
      description: "The tenant's API URL (kplex's advertised address and /clusters/<name>)",
    },
    phase: { type: 'string' },
    conditions: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: {
        type: 'object',
        required: ['type', 'status', 'lastTransitionTime'],
        properties: {
          type: { type: 'string' },
          status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
          reason: { type: 'string' },
          message: { type: 'string' },
          lastTransitionTime: { type: 'string', format: 'date-time' },
          observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
        },
      },
    },
    usage: {
      type: 'object',
      description: 'Kept current while the tenant is in use (at most every --tenant-status-interval seconds)',
      properties: {
        objects: count("objects in the tenant's virtual store"),
        storeBytes: count('bytes of their JSON (what spec.limits.storeBytes bounds)'),
        namespaces: count("the tenant's namespaces"),
        hostNamespaces: count("host namespaces backing the tenant's namespaces"),
        pods: count(
          "the tenant's pods on the host that are not finished, as the host's quota counts them (only where the Tenant's namespaceQuota limits pods)",
        ),
      },
    },
  },
} as const;

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
          { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
          {
            name: 'Objects',
            type: 'integer',
            jsonPath: '.status.usage.objects',
            description: "Objects in the tenant's virtual store",
          },
          {
            name: 'Bytes',
            type: 'integer',
            jsonPath: '.status.usage.storeBytes',
            description:
              "Bytes of the objects' JSON in the tenant's virtual store (what spec.limits.storeBytes bounds)",
          },
          {
            name: 'Namespaces',
            type: 'integer',
            jsonPath: '.status.usage.hostNamespaces',
            description: "Host namespaces backing the tenant's namespaces",
          },
          { name: 'Pods', type: 'integer', jsonPath: '.status.usage.pods', priority: 1 },
          { name: 'Endpoint', type: 'string', jsonPath: '.status.endpoint', priority: 1 },
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
              status: statusSchema,
            },
          },
        },
      },
    ],
  },
} as const;
