// The structural schema rules a CRD's openAPIV3Schema must meet (apiserver/schema/validation.go
// ValidateStructural plus the list/map-type checks of apis/apiextensions/validation), with paths
// such as `spec.validation.openAPIV3Schema.properties[spec].type`.
import type { FieldError } from '../api/status.js';
import { fieldErr } from '../api/field-errors.js';
import { compileGoRegexp } from './schema-validation.js';
import { compileRule } from './cel/rule-validation.js';
import { additionalSchema, itemSchema, type JSONSchemaProps } from './schema-types.js';

type Level = 'root' | 'items' | 'property';

function validateNode(s: JSONSchemaProps, p: string, level: Level, errs: FieldError[]): void {
  const intOrString = !!s['x-kubernetes-int-or-string'];
  const preserve = !!s['x-kubernetes-preserve-unknown-fields'];
  const embedded = !!s['x-kubernetes-embedded-resource'];
  if (s.type === 'array' && !s.items) errs.push(fieldErr.required(`${p}.items`, 'must be specified'));
  if (level === 'root' && s.additionalProperties !== undefined && s.additionalProperties !== false) {
    errs.push(fieldErr.forbidden(`${p}.additionalProperties`, 'must not be used at the root'));
  }
  if (embedded && s.type !== 'object') {
    if (!s.type)
      errs.push(fieldErr.required(`${p}.type`, 'must be object if x-kubernetes-embedded-resource is true'));
    else
      errs.push(
        fieldErr.invalid(`${p}.type`, s.type, 'must be object if x-kubernetes-embedded-resource is true'),
      );
  } else if (!s.type && !intOrString && !preserve) {
    const why =
      level === 'root'
        ? 'must not be empty at the root'
        : level === 'items'
          ? 'must not be empty for specified array items'
          : 'must not be empty for specified object fields';
    errs.push(fieldErr.required(`${p}.type`, why));
  }
  if (embedded && s.additionalProperties !== undefined)
    errs.push(
      fieldErr.forbidden(
        `${p}.additionalProperties`,
        'must not be used if x-kubernetes-embedded-resource is set',
      ),
    );
  if (level === 'root' && s.type && s.type !== 'object')
    errs.push(fieldErr.invalid(`${p}.type`, s.type, 'must be object at the root'));
  if (intOrString && preserve)
    errs.push(
      fieldErr.invalid(
        `${p}.x-kubernetes-preserve-unknown-fields`,
        true,
        'must be false if x-kubernetes-int-or-string is true',
      ),
    );
  if (intOrString && embedded)
    errs.push(
      fieldErr.invalid(
        `${p}.x-kubernetes-embedded-resource`,
        true,
        'must be false if x-kubernetes-int-or-string is true',
      ),
    );
  if (s.pattern !== undefined) {
    const re = compileGoRegexp(s.pattern);
    if (re instanceof Error)
      errs.push(
        fieldErr.invalid(
          `${p}.pattern`,
          s.pattern,
          `must be a valid regular expression, but isn't: ${re.message}`,
        ),
      );
  }
  if (s.properties && typeof s.additionalProperties === 'object') {
    errs.push(
      fieldErr.forbidden(
        `${p}.additionalProperties`,
        'additionalProperties and properties are mutual exclusive',
      ),
    );
  }
  if (s.uniqueItems)
    errs.push(
      fieldErr.forbidden(
        `${p}.uniqueItems`,
        'uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
      ),
    );
  if (s['x-kubernetes-preserve-unknown-fields'] === false)
    errs.push(
      fieldErr.invalid(`${p}.x-kubernetes-preserve-unknown-fields`, false, 'must be true or undefined'),
    );
  const lt = s['x-kubernetes-list-type'];
  if (lt !== undefined) {
    if (s.type !== 'array') {
      if (!s.type)
        errs.push(fieldErr.required(`${p}.type`, 'must be array if x-kubernetes-list-type is specified'));
      else
        errs.push(
          fieldErr.invalid(`${p}.type`, s.type, 'must be array if x-kubernetes-list-type is specified'),
        );
    }
    if (!['atomic', 'set', 'map'].includes(lt))
      errs.push(fieldErr.notSupported(`${p}.x-kubernetes-list-type`, lt, ['atomic', 'set', 'map']));
  }
  const keys = s['x-kubernetes-list-map-keys'];
  if (keys?.length && lt !== 'map') {
    if (!lt)
      errs.push(
        fieldErr.required(
          `${p}.x-kubernetes-list-type`,
          'must be map if x-kubernetes-list-map-keys is non-empty',
        ),
      );
    else
      errs.push(
        fieldErr.invalid(
          `${p}.x-kubernetes-list-type`,
          lt,
          'must be map if x-kubernetes-list-map-keys is non-empty',
        ),
      );
  }
  if (lt === 'map' && !keys?.length)
    errs.push(
      fieldErr.required(
        `${p}.x-kubernetes-list-map-keys`,
        'must not be empty if x-kubernetes-list-type is map',
      ),
    );
  const mt = s['x-kubernetes-map-type'];
  if (mt !== undefined && !['atomic', 'granular'].includes(mt))
    errs.push(fieldErr.notSupported(`${p}.x-kubernetes-map-type`, mt, ['atomic', 'granular']));
  (s['x-kubernetes-validations'] ?? []).forEach((r, i) => {
    const rp = `${p}.x-kubernetes-validations[${i}]`;
    if (!r.rule) errs.push(fieldErr.required(`${rp}.rule`, ''));
    else {
      const c = compileRule(r.rule);
      if (c instanceof Error)
        errs.push(fieldErr.invalid(`${rp}.rule`, r.rule, `compilation failed: ${c.message}`));
    }
    if (r.message !== undefined && r.message.trim() === '')
      errs.push(fieldErr.invalid(`${rp}.message`, r.message, 'must be non-empty if specified'));
    if (r.messageExpression !== undefined) {
      if (r.messageExpression.trim() === '')
        errs.push(fieldErr.required(`${rp}.messageExpression`, 'must be non-empty if specified'));
      else if (compileRule(r.messageExpression) instanceof Error) {
        errs.push(
          fieldErr.invalid(
            `${rp}.messageExpression`,
            r.messageExpression,
            `messageExpression compilation failed: ${(compileRule(r.messageExpression) as Error).message}`,
          ),
        );
      }
    }
    if (
      r.reason !== undefined &&
      !['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate'].includes(
        r.reason,
      )
    ) {
      errs.push(
        fieldErr.notSupported(`${rp}.reason`, r.reason, [
          'FieldValueDuplicate',
          'FieldValueForbidden',
          'FieldValueInvalid',
          'FieldValueRequired',
        ]),
      );
    }
  });
  for (const [k, sub] of Object.entries(s.properties ?? {}))
    validateNode(sub, `${p}.properties[${k}]`, 'property', errs);
  const items = itemSchema(s);
  if (items) validateNode(items, `${p}.items`, 'items', errs);
  const addl = additionalSchema(s);
  if (addl) validateNode(addl, `${p}.additionalProperties`, 'property', errs);
}

/** Errors that make `schema` (at `fld`, e.g. `spec.validation.openAPIV3Schema`) non-structural or invalid. */
export function validateStructuralSchema(schema: JSONSchemaProps, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  validateNode(schema, fld, 'root', errs);
  return errs;
}
