// A small resource table shaped like kplex's: built-in rows shared by all tenants, CRD rows per tenant.
import type { ResourceInfo } from '../../../src/resources/types.js';
import type { DiscoveryTable } from '../../../src/discovery/table.js';

const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function row(
  r: Partial<ResourceInfo> & Pick<ResourceInfo, 'group' | 'version' | 'resource' | 'kind'>,
): ResourceInfo {
  return {
    listKind: `${r.kind}List`,
    singular: r.kind.toLowerCase(),
    namespaced: true,
    verbs: ALL,
    placement: 'host',
    storageVersion: true,
    ...r,
  };
}

export const builtinRows: readonly ResourceInfo[] = [
  row({
    group: '',
    version: 'v1',
    resource: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    placement: 'virtual',
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  row({ group: '', version: 'v1', resource: 'pods', kind: 'Pod', shortNames: ['po'], categories: ['all'] }),
  row({ group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'] }),
  row({ group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', shortNames: ['sa'] }),
  row({
    group: '',
    version: 'v1',
    resource: 'nodes',
    kind: 'Node',
    namespaced: false,
    placement: 'host-view',
    shortNames: ['no'],
    verbs: ['get', 'list', 'watch'],
  }),
  row({
    group: '',
    version: 'v1',
    resource: 'componentstatuses',
    kind: 'ComponentStatus',
    namespaced: false,
    placement: 'refused',
  }),
  row({
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    shortNames: ['deploy'],
    categories: ['all'],
  }),
  row({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'clusterroles',
    kind: 'ClusterRole',
    namespaced: false,
    placement: 'virtual',
  }),
  row({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'roles',
    kind: 'Role',
    placement: 'virtual',
  }),
  row({
    group: 'apiextensions.k8s.io',
    version: 'v1',
    resource: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    placement: 'virtual',
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
  }),
  row({
    group: 'autoscaling',
    version: 'v1',
    resource: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    shortNames: ['hpa'],
    categories: ['all'],
    storageVersion: false,
  }),
  row({
    group: 'autoscaling',
    version: 'v2',
    resource: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    shortNames: ['hpa'],
    categories: ['all'],
  }),
];

const CRD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function cronTabRows(): ResourceInfo[] {
  const base = {
    group: 'stable.example.com',
    resource: 'crontabs',
    kind: 'CronTab',
    singular: 'crontab',
    verbs: CRD_VERBS,
    placement: 'virtual' as const,
    shortNames: ['ct'],
    categories: ['all'],
  };
  return [
    row({
      ...base,
      version: 'v1',
      storageVersion: true,
      subresources: {
        status: true,
        scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
      },
    }),
    row({ ...base, version: 'v1beta1', storageVersion: false }),
  ];
}

export function widgetRows(): ResourceInfo[] {
  return [
    row({
      group: 'widgets.example.org',
      version: 'v1alpha1',
      resource: 'widgets',
      kind: 'Widget',
      singular: 'widget',
      namespaced: false,
      placement: 'virtual',
      verbs: CRD_VERBS,
    }),
  ];
}

export const cronTabSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      description: 'The desired crontab.',
      required: ['cronSpec'],
      properties: {
        cronSpec: {
          type: 'string',
          pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$',
          description: 'When to run.',
        },
        image: { type: 'string' },
        replicas: { type: 'integer', minimum: 1, maximum: 10 },
        port: { 'x-kubernetes-int-or-string': true },
        nickname: { type: 'string', nullable: true, description: 'May be null.' },
        tags: { type: 'array', items: { type: 'string' } },
        schedule: { type: 'string', default: '* * * * *', example: '*/5 * * * *' },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          'x-kubernetes-preserve-unknown-fields': true,
        },
      },
    },
    status: { type: 'object', properties: { replicas: { type: 'integer' } } },
  },
};

export function tenantTable(custom: ResourceInfo[] = [], generation: number | string = 1): DiscoveryTable {
  return { builtin: builtinRows, custom, generation };
}
