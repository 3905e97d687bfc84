// Built-in kinds that live in the tenant's virtual store, as rows of the resource table.
// Host-backed rows come from the host's discovery (host-discovery.ts, merged in builtin-table.ts).
import { VIRTUAL_KINDS } from '../admission/virtual-kinds.js';
import { CSR_ROW } from '../admission/csr.js';
import type { ResourceInfo } from '../resources/types.js';

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
    subresources: { status: true, finalize: true },
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
  // RBAC: virtual, over the shared bootstrap policy (src/rbac/).
  ...(
    [
      ['clusterroles', 'ClusterRole', false],
      ['clusterrolebindings', 'ClusterRoleBinding', false],
      ['roles', 'Role', true],
      ['rolebindings', 'RoleBinding', true],
    ] as const
  ).map(([resource, kind, namespaced]): ResourceInfo => ({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource,
    kind,
    listKind: `${kind}List`,
    singular: kind.toLowerCase(),
    namespaced,
    verbs: RW,
    placement: 'virtual',
    storageVersion: true,
    strategy: `rbac-${resource}`,
  })),
  // Reviews: create-only, computed by src/auth/reviews.ts, never stored.
  ...(
    [
      ['authentication.k8s.io', 'selfsubjectreviews', 'SelfSubjectReview', false],
      ['authentication.k8s.io', 'tokenreviews', 'TokenReview', false],
      ['authorization.k8s.io', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false],
      ['authorization.k8s.io', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false],
      ['authorization.k8s.io', 'subjectaccessreviews', 'SubjectAccessReview', false],
      ['authorization.k8s.io', 'localsubjectaccessreviews', 'LocalSubjectAccessReview', true],
    ] as const
  ).map(([group, resource, kind, namespaced]): ResourceInfo => ({
    group,
    version: 'v1',
    resource,
    kind,
    listKind: `${kind}List`,
    singular: kind.toLowerCase(),
    namespaced,
    verbs: ['create'],
    placement: 'virtual',
    storageVersion: false,
    computed: { '': 'review' },
  })),
  // Admission configuration, flow control, API services, classes and storage descriptions:
  // virtual, stored per tenant (src/admission/virtual-kinds.ts).
  ...VIRTUAL_KINDS.map((k): ResourceInfo => ({
    group: k.group,
    version: 'v1',
    resource: k.resource,
    kind: k.kind,
    listKind: `${k.kind}List`,
    singular: k.kind.toLowerCase(),
    namespaced: k.namespaced ?? false,
    verbs: RW,
    ...(k.shortNames?.length ? { shortNames: [...k.shortNames] } : {}),
    ...(k.categories?.length ? { categories: [...k.categories] } : {}),
    placement: 'virtual',
    storageVersion: true,
    ...(k.status ? { subresources: { status: true } } : {}),
    strategy: `admission-${k.resource}`,
    ...(k.resource === CSR_ROW.resource ? CSR_ROW.row : {}),
  })),
];

/** Namespaces every tenant starts with (seeded when its store is first opened). */
export const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;
