// Which fields of an object name a namespace (besides metadata.namespace), as data. Paths are
// dot-separated keys; `[]` walks every element of an array. The same paths serve both directions.
const POD_SPECS = ['spec', 'spec.template.spec', 'template.spec', 'spec.jobTemplate.spec.template.spec'];

const AFFINITY_TERMS = ['podAffinity', 'podAntiAffinity'].flatMap((a) => [
  `affinity.${a}.requiredDuringSchedulingIgnoredDuringExecution[]`,
  `affinity.${a}.preferredDuringSchedulingIgnoredDuringExecution[].podAffinityTerm`,
]);

/** Single strings naming a namespace of the tenant. */
export const NAMESPACE_NAME_FIELDS: readonly string[] = [
  'involvedObject.namespace', // core/v1 Event
  'regarding.namespace', // events.k8s.io/v1 Event
  'related.namespace',
  'subsets[].addresses[].targetRef.namespace', // Endpoints
  'subsets[].notReadyAddresses[].targetRef.namespace',
  'endpoints[].targetRef.namespace', // EndpointSlice
  'spec.claimRef.namespace', // PersistentVolume (view)
  'spec.dataSourceRef.namespace', // PersistentVolumeClaim
  'spec.scaleTargetRef.namespace',
];

/** Arrays of namespace names (pod affinity terms). */
export const NAMESPACE_LIST_FIELDS: readonly string[] = POD_SPECS.flatMap((p) =>
  AFFINITY_TERMS.map((t) => `${p}.${t}.namespaces`),
);

/** Namespace label selectors: ANDed with the tenant's label on the way in, the term removed on the way out. */
export const NAMESPACE_SELECTOR_FIELDS: readonly string[] = [
  ...POD_SPECS.flatMap((p) => AFFINITY_TERMS.map((t) => `${p}.${t}.namespaceSelector`)),
  'spec.ingress[].from[].namespaceSelector', // NetworkPolicy
  'spec.egress[].to[].namespaceSelector',
];

/** Human-readable text that may name a host namespace (scheduler events, conditions, Status). */
export const MESSAGE_FIELDS: readonly string[] = [
  'message',
  'note',
  'status.message',
  'status.conditions[].message',
  'details.causes[].message',
];

/** Visits the parent object and key of every value at `path` (existing values only). */
interface Step {
  key: string;
  each: boolean;
}

/** Paths are parsed once: lists are rewritten object by object, and most paths miss at their first key. */
const parsed = new Map<string, Step[]>();

function stepsOf(path: string): Step[] {
  let steps = parsed.get(path);
  if (!steps) {
    steps = path.split('.').map((raw) => (raw.endsWith('[]') ? { key: raw.slice(0, -2), each: true } : { key: raw, each: false }));
    parsed.set(path, steps);
  }
  return steps;
}

export function visitPath(
  obj: unknown,
  path: string,
  fn: (parent: Record<string, unknown>, key: string) => void,
): void {
  const steps = stepsOf(path);
  // The common case (a configmap has no `spec`): leave before building the walk.
  if (obj === null || typeof obj !== 'object' || !(steps[0]!.key in (obj as object))) return;
  const walk = (node: unknown, i: number): void => {
    if (node === null || typeof node !== 'object') return;
    const { key, each } = steps[i]!;
    const rec = node as Record<string, unknown>;
    if (!(key in rec)) return;
    if (i === steps.length - 1 && !each) return fn(rec, key);
    const next = rec[key];
    if (each) {
      if (!Array.isArray(next)) return;
      for (const el of next)
        if (i === steps.length - 1) continue;
        else walk(el, i + 1);
      return;
    }
    walk(next, i + 1);
  };
  walk(obj, 0);
}
