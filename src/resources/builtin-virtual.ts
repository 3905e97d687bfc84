// Built-in kinds that live in the tenant's virtual store, as rows of the resource table.
// Host-backed kinds are added from the host's discovery (issue 4); RBAC kinds with issue 6.
import type { ResourceInfo } from './types.js';

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const builtinVirtualResources: readonly ResourceInfo[] = [
  {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    kind: 'Namespace',
    listKind: 'NamespaceList',
    singular: 'namespace',
    namespaced: false,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['ns'],
    placement: 'virtual',
    storageVersion: true,
    subresources: { status: true },
    strategy: 'namespaces',
  },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    resource: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    listKind: 'CustomResourceDefinitionList',
    singular: 'customresourcedefinition',
    namespaced: false,
    verbs: RW,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    placement: 'virtual',
    storageVersion: true,
    subresources: { status: true },
    strategy: 'customresourcedefinitions',
  },
];

/** Namespaces every tenant starts with (seeded when its store is first opened). */
export const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;
