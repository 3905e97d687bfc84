// Subresources of built-in resources as kube-apiserver v1.32 serves them (extracted from the
// upstream swagger paths by builtin-openapi/extract.ts): ResourceInfo rows only say status/scale,
// built-in kinds have more (namespaces/finalize, pods/exec, serviceaccounts/token...).
import data from './builtin-openapi/subresources.json' with { type: 'json' };

export interface BuiltinSubresource {
  name: string;
  /** Set when the subresource's kind lives in another group/version (Scale, Eviction, TokenRequest). */
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
}

const table = data as Record<string, Record<string, BuiltinSubresource[]>>;

export function builtinSubresources(groupVersion: string, resource: string): readonly BuiltinSubresource[] {
  return table[groupVersion]?.[resource] ?? [];
}
