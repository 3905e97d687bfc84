// Subresources of built-in resources as kube-apiserver v1.32 serves them (extracted from the
// upstream swagger paths by builtin-openapi/extract.ts): ResourceInfo rows only say status/scale,
// built-in kinds have more (namespaces/finalize, pods/exec, serviceaccounts/token...).
import type { ResourceInfo } from '../resources/types.js';
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

/**
 * The subresources kplex serves for a built-in row: those acting on the object itself (status,
 * finalize, ephemeralcontainers, log) offer only the verbs the row offers, so a read-only view
 * (nodes for a tenant) does not advertise writable status.
 */
export function servedSubresources(groupVersion: string, row: ResourceInfo): BuiltinSubresource[] {
  const out: BuiltinSubresource[] = [];
  for (const sub of builtinSubresources(groupVersion, row.resource)) {
    const onObject = sub.kind === row.kind && sub.group === undefined;
    const verbs = onObject ? sub.verbs.filter((v) => row.verbs.includes(v)) : sub.verbs;
    if (verbs.length > 0) out.push({ ...sub, verbs });
  }
  return out;
}
