// The custom-resource strategy's warnings on finalizers a write adds (apiextensions-apiserver
// registry/customresource: generateWarningsFromObj, validateKubeFinalizerName), word for word.
import type { KubeObject } from '../api/object.js';
import { isQualifiedName } from '../api/name-validation.js';

const STANDARD = new Set(['orphan', 'foregroundDeletion', 'kubernetes']);
const FIELD = 'metadata.finalizers';

function finalizerWarnings(name: string): string[] {
  const out = isQualifiedName(name).map((m) => `${FIELD}: ${JSON.stringify(name)}: ${m}`);
  if (!name.includes('/') && !STANDARD.has(name))
    out.push(
      name.includes('.')
        ? `${FIELD}: ${JSON.stringify(name)}: prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers`
        : `${FIELD}: ${JSON.stringify(name)}: prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers`,
    );
  return out;
}

/** Warnings for the finalizers `obj` has that `old` (absent on create) had not, sorted as Go's sets. */
export function addedFinalizerWarnings(obj: KubeObject, old?: KubeObject): string[] {
  const had = new Set(old?.metadata?.finalizers ?? []);
  const added = [...new Set(obj.metadata?.finalizers ?? [])].filter((f) => !had.has(f));
  return added.sort().flatMap(finalizerWarnings);
}
