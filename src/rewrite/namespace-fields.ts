// Which fields of each host-backed kind name a namespace (besides metadata.namespace), as data.
// The translator (namespace-translator.ts) reads this one table in both directions, for every
// write form (create, update, patch results, apply configurations) and every read. Paths are
// dot-separated keys; `[]` walks every element of an array.
/** Legacy ServiceAccount token Secrets: their data names the Secret's namespace. */
export const SA_TOKEN_SECRET_TYPE = 'kubernetes.io/service-account-token';

export interface KindNamespaceFields {
  /** Strings naming a namespace of the tenant. */
  names?: readonly string[];
  /** Arrays of namespace names. */
  lists?: readonly string[];
  /** Service DNS names of the cluster's domain (`<svc>.<ns>.svc.cluster.local`): their namespace label. */
  serviceNames?: readonly string[];
  /** Namespace label selectors: ANDed with the tenant's labels on the way in, those terms removed on the way out. */
  selectors?: readonly string[];
  /** Base64 values naming a namespace (a Secret's data), for objects of `type` only. */
  encoded?: { type: string; paths: readonly string[] };
  /** Metadata of the templates an object holds: kplex's labels and annotations hidden like the object's own. */
  templateMetadata?: readonly string[];
  /** Field-selector keys whose value is a namespace name (besides metadata.namespace). */
  selectable?: readonly string[];
}

const AFFINITY_TERMS = ['podAffinity', 'podAntiAffinity'].flatMap((a) => [
  `affinity.${a}.requiredDuringSchedulingIgnoredDuringExecution[]`,
  `affinity.${a}.preferredDuringSchedulingIgnoredDuringExecution[].podAffinityTerm`,
]);

/** A pod spec at `at`: affinity terms name namespaces and select them by label. */
const podSpec = (at: string): KindNamespaceFields => ({
  lists: AFFINITY_TERMS.map((t) => `${at}.${t}.namespaces`),
  selectors: AFFINITY_TERMS.map((t) => `${at}.${t}.namespaceSelector`),
});

/** A pod template at `at` (its spec and its metadata). */
const podTemplate = (at: string): KindNamespaceFields => ({
  ...podSpec(`${at}.spec`),
  templateMetadata: [`${at}.metadata`],
});

/** Every host-backed kind with a namespace-bearing field, by kind (core and events.k8s.io Events share `Event`). */
export const NAMESPACE_FIELDS: Readonly<Record<string, KindNamespaceFields>> = {
  Pod: podSpec('spec'),
  PodTemplate: podTemplate('template'),
  ReplicationController: podTemplate('spec.template'),
  Deployment: podTemplate('spec.template'),
  ReplicaSet: podTemplate('spec.template'),
  DaemonSet: podTemplate('spec.template'),
  Job: podTemplate('spec.template'),
  StatefulSet: {
    ...podTemplate('spec.template'),
    names: ['spec.volumeClaimTemplates[].spec.dataSourceRef.namespace'],
    templateMetadata: ['spec.template.metadata', 'spec.volumeClaimTemplates[].metadata'],
  },
  CronJob: {
    ...podSpec('spec.jobTemplate.spec.template.spec'),
    templateMetadata: ['spec.jobTemplate.metadata', 'spec.jobTemplate.spec.template.metadata'],
  },
  Binding: { names: ['target.namespace'] }, // pods/binding
  Event: {
    names: ['involvedObject.namespace', 'regarding.namespace', 'related.namespace'],
    selectable: ['involvedObject.namespace', 'regarding.namespace'],
  },
  Endpoints: {
    names: ['subsets[].addresses[].targetRef.namespace', 'subsets[].notReadyAddresses[].targetRef.namespace'],
  },
  EndpointSlice: { names: ['endpoints[].targetRef.namespace'] },
  PersistentVolume: { names: ['spec.claimRef.namespace'] }, // a view: read only
  PersistentVolumeClaim: { names: ['spec.dataSourceRef.namespace'] },
  // The API has no such field; a stray value is still never passed to the host as written.
  HorizontalPodAutoscaler: { names: ['spec.scaleTargetRef.namespace'] },
  NetworkPolicy: {
    selectors: ['spec.ingress[].from[].namespaceSelector', 'spec.egress[].to[].namespaceSelector'],
  },
  ServiceAccount: { names: ['secrets[].namespace'] },
  // An ExternalName naming a Service of the tenant's (admission/service-policy.ts refuses the rest).
  Service: { serviceNames: ['spec.externalName'] },
  // The host's token controller fills `namespace` with the host namespace.
  Secret: { encoded: { type: SA_TOKEN_SECRET_TYPE, paths: ['data.namespace'] } },
};

const union = (f: (k: KindNamespaceFields) => readonly string[] | undefined): readonly string[] => [
  ...new Set(Object.values(NAMESPACE_FIELDS).flatMap((k) => f(k) ?? [])),
];

/**
 * Every kind's paths together. They are applied to every object whatever its `kind` says: a
 * request body's kind is the tenant's word (and may be absent), list items carry none, and the
 * paths of one kind never occur in another.
 */
export const ALL_NAMESPACE_FIELDS = {
  names: union((k) => k.names),
  lists: union((k) => k.lists),
  serviceNames: union((k) => k.serviceNames),
  selectors: union((k) => k.selectors),
  encoded: Object.values(NAMESPACE_FIELDS).flatMap((k) => (k.encoded ? [k.encoded] : [])),
  templateMetadata: union((k) => k.templateMetadata),
  selectable: new Set(['metadata.namespace', ...union((k) => k.selectable)]),
} as const;
