// Pruning of unknown fields (apiserver/schema/pruning/algorithm.go): removes every field the
// structural schema does not specify, except under x-kubernetes-preserve-unknown-fields, and
// returns the removed paths sorted, as `spec.foo` / `spec.items[0].bar`.
import { isObject } from '../api/object.js';
import { additionalSchema, itemSchema, type JSONSchemaProps } from './schema-types.js';

const metaFields = new Set(['apiVersion', 'kind', 'metadata']);

const appendKey = (p: string, k: string) => (p ? `${p}.${k}` : k);

function prune(
  x: unknown,
  s: JSONSchemaProps | undefined,
  embedded: boolean,
  p: string,
  out: string[],
): void {
  if (s?.['x-kubernetes-preserve-unknown-fields']) return skipPrune(x, s, p, out);
  if (isObject(x)) {
    if (!s) {
      for (const k of Object.keys(x)) {
        out.push(appendKey(p, k));
        delete x[k];
      }
      return;
    }
    const isEmbedded = embedded || !!s['x-kubernetes-embedded-resource'];
    const addl = additionalSchema(s);
    const addlAllowsAll = s.additionalProperties === true;
    for (const k of Object.keys(x)) {
      if (isEmbedded && metaFields.has(k)) continue;
      const prop = s.properties?.[k];
      if (prop) prune(x[k], prop, false, appendKey(p, k), out);
      else if (addl) prune(x[k], addl, false, appendKey(p, k), out);
      else if (addlAllowsAll) continue;
      else {
        if (!metaFields.has(k) || p !== '') out.push(appendKey(p, k));
        delete x[k];
      }
    }
  } else if (Array.isArray(x)) {
    const items = s ? itemSchema(s) : undefined;
    x.forEach((v, i) => prune(v, items, false, `${p}[${i}]`, out));
  }
}

function skipPrune(x: unknown, s: JSONSchemaProps, p: string, out: string[]): void {
  if (isObject(x)) {
    const addl = additionalSchema(s);
    for (const k of Object.keys(x)) {
      if (s['x-kubernetes-embedded-resource'] && metaFields.has(k)) continue;
      const prop = s.properties?.[k];
      if (prop) prune(x[k], prop, false, appendKey(p, k), out);
      else if (addl) prune(x[k], addl, false, appendKey(p, k), out);
    }
  } else if (Array.isArray(x)) {
    const items = itemSchema(s);
    if (items) x.forEach((v, i) => skipPrune(v, items, `${p}[${i}]`, out));
  }
}

/**
 * Prunes `obj` in place against `schema`. At the resource root apiVersion, kind and metadata are
 * kept (the root is treated as an embedded resource). Returns the removed paths, sorted.
 */
export function pruneObject(
  obj: unknown,
  schema: JSONSchemaProps | undefined,
  isResourceRoot = true,
): string[] {
  const out: string[] = [];
  const s: JSONSchemaProps = schema ?? {};
  prune(obj, isResourceRoot ? { ...s, 'x-kubernetes-embedded-resource': true } : s, false, '', out);
  return out.sort();
}
