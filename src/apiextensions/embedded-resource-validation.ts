// x-kubernetes-embedded-resource checks (apiserver/schema/objectmeta/validation.go): embedded
// objects need apiVersion and kind, and their metadata is validated as ObjectMeta.
import { isObject } from '../api/object.js';
import type { FieldError } from '../api/status.js';
import { fieldErr } from '../api/field-errors.js';
import { validateObjectMeta } from './metadata-validation.js';
import { isDNS1035Label, validatePathSegmentName } from '../api/name-validation.js';
import { additionalSchema, itemSchema, type JSONSchemaProps } from './schema-types.js';

function validateEmbedded(p: string, x: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const child = (k: string) => (p ? `${p}.${k}` : k);
  if (!('apiVersion' in x)) errs.push(fieldErr.required(child('apiVersion'), 'must not be empty'));
  if (!('kind' in x)) errs.push(fieldErr.required(child('kind'), 'must not be empty'));
  for (const [k, v] of Object.entries(x)) {
    if (k === 'apiVersion') {
      if (typeof v !== 'string') errs.push(fieldErr.invalid(child(k), v, 'must be a string'));
      else if (!v) errs.push(fieldErr.invalid(child(k), v, 'must not be empty'));
      else if (v.split('/').length > 2)
        errs.push(fieldErr.invalid(child(k), v, `unexpected GroupVersion string: ${v}`));
    } else if (k === 'kind') {
      if (typeof v !== 'string') errs.push(fieldErr.invalid(child(k), v, 'must be a string'));
      else if (!v) errs.push(fieldErr.invalid(child(k), v, 'must not be empty'));
      else {
        const msgs = isDNS1035Label(v.toLowerCase());
        if (msgs.length)
          errs.push(
            fieldErr.invalid(
              child(k),
              v,
              'may have mixed case, but should otherwise match: ' + msgs.join(','),
            ),
          );
      }
    } else if (k === 'metadata') {
      if (!isObject(v)) {
        errs.push(
          fieldErr.invalid(
            child(k),
            v,
            `.metadata accessor error: ${JSON.stringify(v)} is of the type ${typeof v}, expected map[string]interface{}`,
          ),
        );
        continue;
      }
      const meta = { ...v, name: v.name || 'fakename' };
      const ns = typeof v.namespace === 'string' ? v.namespace : '';
      errs.push(...validateObjectMeta(meta, ns.length > 0, validatePathSegmentName, child('metadata')));
    }
  }
  return errs;
}

/** Validates every embedded resource below the root of `obj`. */
export function validateEmbeddedResources(
  p: string,
  x: unknown,
  s: JSONSchemaProps | undefined,
): FieldError[] {
  if (!s) return [];
  const errs: FieldError[] = [];
  if (isObject(x)) {
    if (s['x-kubernetes-embedded-resource']) errs.push(...validateEmbedded(p, x));
    const addl = additionalSchema(s);
    for (const [k, v] of Object.entries(x)) {
      const prop = s.properties?.[k];
      if (prop) errs.push(...validateEmbeddedResources(p ? `${p}.${k}` : k, v, prop));
      else if (addl) errs.push(...validateEmbeddedResources(`${p}[${k}]`, v, addl));
    }
  } else if (Array.isArray(x)) {
    const items = itemSchema(s);
    x.forEach((v, i) => errs.push(...validateEmbeddedResources(`${p}[${i}]`, v, items)));
  }
  return errs;
}
