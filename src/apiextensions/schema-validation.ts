// Validation of a custom resource against its openAPIV3Schema, as kube-openapi's validate
// package does it and apiserver/validation.kubeOpenAPIResultToFieldErrors reports it: same checks,
// same order (type, allOf/anyOf/oneOf/not, string, format, number, array, enum, object), same
// `<path> in body ...` messages and the same mapping onto field error types.
import { isObject } from '../api/object.js';
import { isDeepStrictEqual } from 'node:util';
import type { FieldError } from '../api/status.js';
import { fieldErr, goNumber, NIL_PATH } from '../api/field-errors.js';
import { formatValidator } from './formats.js';
import { compileGoRegexp } from './go-regexp.js';
import { type JSONSchemaProps } from './schema-types.js';
import { oldListElement, type Old } from './ratcheting.js';

export { compileGoRegexp } from './go-regexp.js';

/** One kube-openapi error: a Validation (with a code) or a plain error (code undefined). */
interface OpenAPIError {
  code?: Code;
  name: string;
  value?: unknown;
  valid?: number;
  values?: unknown[];
  message: string;
}

type Code =
  | 'type'
  | 'required'
  | 'tooLong'
  | 'tooShort'
  | 'pattern'
  | 'enum'
  | 'multipleOf'
  | 'max'
  | 'min'
  | 'unique'
  | 'maxItems'
  | 'minItems'
  | 'tooFewProps'
  | 'tooManyProps'
  | 'unallowedProp';

interface Result {
  errors: OpenAPIError[];
  matchCount: number;
}

const IN = 'body';

/** Go's %v of a JSON value (used in `should be one of [a b]`). */
export function goV(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return goNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goV).join(' ')}]`;
  const o = v as Record<string, unknown>;
  return `map[${Object.keys(o)
    .sort()
    .map((k) => `${k}:${goV(o[k])}`)
    .join(' ')}]`;
}

/** The JSON type the decoder gives a value: int64 for integral numbers, float64 otherwise. */
function jsonKind(v: unknown): 'null' | 'boolean' | 'string' | 'integer' | 'number' | 'array' | 'object' {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'bigint') return 'integer';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

function schemaTypes(s: JSONSchemaProps): string[] {
  if (s['x-kubernetes-int-or-string']) return ['integer', 'string'];
  return s.type ? [s.type] : [];
}

function invalidType(path: string, typeName: string, value: unknown): OpenAPIError {
  const msg =
    typeof value === 'string'
      ? `${path} in ${IN} must be of type ${typeName}: ${JSON.stringify(value)}`
      : `${path} in ${IN} must be of type ${typeName}`;
  return { code: 'type', name: path, value, message: msg };
}

const runeCount = (s: string): number => [...s].length;

/** The old value correlated with the node being validated (validation ratcheting on update). */

/** Old value of a property, when the old object had it. */
const oldChild = (old: Old, key: string): Old =>
  old && isObject(old.v) && Object.prototype.hasOwnProperty.call(old.v, key) ? { v: old.v[key] } : undefined;

class Validator {
  constructor(
    private readonly schema: JSONSchemaProps,
    private readonly path: string,
    private readonly old: Old = undefined,
  ) {}

  validate(data: unknown): Result {
    const s = this.schema;
    const res: Result = { errors: [], matchCount: 0 };
    // Ratcheting: an unchanged value keeps passing, whatever the schema now says.
    if (this.old && isDeepStrictEqual(this.old.v, data)) return res;
    const merge = (r: Result) => {
      res.errors.push(...r.errors);
      res.matchCount += r.matchCount;
    };
    const add = (...errs: OpenAPIError[]) => res.errors.push(...errs);
    const types = schemaTypes(s);
    const format = formatValidator(s.format) ? s.format : undefined;

    if (data === null || data === undefined) {
      if ((types.length > 0 || format) && types.length > 0 && !types.includes('null') && !s.nullable) {
        add(invalidType(this.path, types.join(','), 'null'));
      }
      this.validateEnum(null, add);
      return res;
    }
    const kind = jsonKind(data);
    // type
    if (types.length > 0 || format) {
      res.matchCount++;
      const e = this.validateType(data, kind, types, format);
      if (e) add(e);
    }
    // schema props: allOf, anyOf, oneOf, not
    res.matchCount++;
    this.validateComposition(data, merge, add);
    // string
    if (kind === 'string') {
      res.matchCount++;
      const e = this.validateString(data as string);
      if (e) add(e);
      if (format) {
        res.matchCount++;
        if (!formatValidator(format)!(data as string)) add(invalidType(this.path, format, data));
      }
    }
    // number
    if (kind === 'integer' || kind === 'number') {
      res.matchCount++;
      add(...this.validateNumber(data as number, kind));
    }
    // array
    if (kind === 'array') {
      res.matchCount++;
      this.validateArray(data as unknown[], merge, add);
    }
    // enum
    res.matchCount++;
    this.validateEnum(data, add);
    // object
    if (kind === 'object') {
      res.matchCount++;
      this.validateObject(data as Record<string, unknown>, merge, add);
    }
    res.matchCount++;
    return res;
  }

  private validateType(
    data: unknown,
    kind: string,
    types: string[],
    format: string | undefined,
  ): OpenAPIError | undefined {
    const schType = kind;
    const isFloatInt = schType === 'number' && Number.isInteger(data) && types.includes('integer');
    const isIntFloat = schType === 'integer' && types.includes('number');
    const dataFormat = kind === 'integer' ? 'int64' : kind === 'number' ? 'float64' : '';
    if (
      kind !== 'string' &&
      kind !== 'array' &&
      format &&
      !(types.includes(schType) || dataFormat === format || isFloatInt || isIntFloat)
    ) {
      return invalidType(this.path, format, dataFormat);
    }
    if (
      !(types.includes('number') || types.includes('integer')) &&
      format &&
      (kind === 'string' || kind === 'array')
    )
      return undefined;
    if (!(types.includes(schType) || isFloatInt || isIntFloat))
      return invalidType(this.path, types.join(','), schType);
    return undefined;
  }

  private validateComposition(
    data: unknown,
    merge: (r: Result) => void,
    add: (...e: OpenAPIError[]) => void,
  ): void {
    const s = this.schema;
    const p = this.path;
    const sub = (x: JSONSchemaProps) => new Validator(x, p, this.old).validate(data);
    if (s.anyOf?.length) {
      let best: Result | undefined;
      let ok = false;
      for (const x of s.anyOf) {
        const r = sub(x);
        if (r.errors.length === 0) {
          ok = true;
          best = undefined;
          break;
        }
        if (!best || r.matchCount > best.matchCount) best = r;
      }
      if (!ok) add({ name: p, message: `${JSON.stringify(p)} must validate at least one schema (anyOf)` });
      if (best) merge(best);
    }
    if (s.oneOf?.length) {
      let best: Result | undefined;
      let validated = 0;
      for (const x of s.oneOf) {
        const r = sub(x);
        if (r.errors.length === 0) {
          validated++;
          best = undefined;
          continue;
        }
        if (validated === 0 && (!best || r.matchCount > best.matchCount)) best = r;
      }
      if (validated !== 1) {
        const extra = validated === 0 ? 'Found none valid' : `Found ${validated} valid alternatives`;
        add({
          name: p,
          message: `${JSON.stringify(p)} must validate one and only one schema (oneOf). ${extra}`,
        });
        if (best) merge(best);
      }
    }
    if (s.allOf?.length) {
      let validated = 0;
      for (const x of s.allOf) {
        const r = sub(x);
        if (r.errors.length === 0) validated++;
        merge(r);
      }
      if (validated !== s.allOf.length) {
        add({
          name: p,
          message: `${JSON.stringify(p)} must validate all the schemas (allOf)${validated === 0 ? '. None validated' : ''}`,
        });
      }
    }
    if (s.not && sub(s.not).errors.length === 0) {
      add({ name: p, message: `${JSON.stringify(p)} must not validate the schema (not)` });
    }
  }

  private validateString(data: string): OpenAPIError | undefined {
    const s = this.schema;
    const p = this.path;
    if (s.maxLength !== undefined && runeCount(data) > s.maxLength) {
      return {
        code: 'tooLong',
        name: p,
        value: data,
        valid: s.maxLength,
        message: `${p} in ${IN} should be at most ${s.maxLength} chars long`,
      };
    }
    if (s.minLength !== undefined && runeCount(data) < s.minLength) {
      return {
        code: 'tooShort',
        name: p,
        value: data,
        valid: s.minLength,
        message: `${p} in ${IN} should be at least ${s.minLength} chars long`,
      };
    }
    if (s.pattern) {
      const re = compileGoRegexp(s.pattern);
      if (re instanceof Error) {
        return {
          code: 'pattern',
          name: p,
          value: data,
          message: `${p} in ${IN} should match '${s.pattern}, but pattern is invalid: ${re.message}'`,
        };
      }
      if (!re.test(data))
        return {
          code: 'pattern',
          name: p,
          value: data,
          message: `${p} in ${IN} should match '${s.pattern}'`,
        };
    }
    return undefined;
  }

  private validateNumber(data: number, kind: string): OpenAPIError[] {
    const s = this.schema;
    const p = this.path;
    const errs: OpenAPIError[] = [];
    const type = schemaTypes(s)[0] ?? '';
    // IsValueValidAgainstRange: an integer-typed schema rejects a non-integral value (formats are stripped).
    if (type === 'integer' && kind === 'number') {
      errs.push({ name: p, message: `Checked value must be of type integer (default format) in ${p}` });
    }
    const isInt = kind === 'integer';
    const bound = (b: number) => (isInt ? Math.trunc(b) : b);
    if (s.multipleOf !== undefined) {
      if (s.multipleOf <= 0) {
        errs.push({
          code: 'multipleOf',
          name: p,
          value: s.multipleOf,
          message: `factor MultipleOf declared for ${p} must be positive: ${goNumber(s.multipleOf)}`,
        });
      } else {
        const q = data / s.multipleOf;
        if (Math.abs(q - Math.round(q)) > 1e-9 * Math.max(1, Math.abs(q))) {
          errs.push({
            code: 'multipleOf',
            name: p,
            value: data,
            message: `${p} in ${IN} should be a multiple of ${goNumber(s.multipleOf)}`,
          });
        }
      }
    }
    if (s.minimum !== undefined) {
      const min = bound(s.minimum);
      const fail = s.exclusiveMinimum ? data <= min : data < min;
      if (fail) {
        const rel = s.exclusiveMinimum ? 'greater than' : 'greater than or equal to';
        errs.push({
          code: 'min',
          name: p,
          value: data,
          message: `${p} in ${IN} should be ${rel} ${goNumber(min)}`,
        });
      }
    }
    if (s.maximum !== undefined) {
      const max = bound(s.maximum);
      const fail = s.exclusiveMaximum ? data >= max : data > max;
      if (fail) {
        const rel = s.exclusiveMaximum ? 'less than' : 'less than or equal to';
        errs.push({
          code: 'max',
          name: p,
          value: data,
          message: `${p} in ${IN} should be ${rel} ${goNumber(max)}`,
        });
      }
    }
    return errs;
  }

  private validateArray(
    data: unknown[],
    merge: (r: Result) => void,
    add: (...e: OpenAPIError[]) => void,
  ): void {
    const s = this.schema;
    const p = this.path;
    if (s.items && !Array.isArray(s.items)) {
      data.forEach((v, i) =>
        merge(
          new Validator(s.items as JSONSchemaProps, `${p}[${i}]`, oldListElement(this.old, s, v)).validate(v),
        ),
      );
    }
    const size = data.length;
    if (s.minItems !== undefined && size < s.minItems) {
      add({
        code: 'minItems',
        name: p,
        value: size,
        valid: s.minItems,
        message: `${p} in ${IN} should have at least ${s.minItems} items`,
      });
    }
    if (s.maxItems !== undefined && size > s.maxItems) {
      add({
        code: 'maxItems',
        name: p,
        value: size,
        valid: s.maxItems,
        message: `${p} in ${IN} should have at most ${s.maxItems} items`,
      });
    }
    if (s.uniqueItems) {
      const dup = data.some((v, i) => data.slice(0, i).some((u) => isDeepStrictEqual(u, v)));
      if (dup) add({ code: 'unique', name: p, message: `${p} in ${IN} shouldn't contain duplicates` });
    }
  }

  private validateEnum(data: unknown, add: (...e: OpenAPIError[]) => void): void {
    const e = this.schema.enum;
    if (!e || e.length === 0) return;
    // reflect ConvertibleTo: numbers compare across int/float, everything else by deep equality.
    if (e.some((x) => x !== null && isDeepStrictEqual(x, data))) return;
    add({
      code: 'enum',
      name: this.path,
      value: data,
      values: e,
      message: `${this.path} in ${IN} should be one of ${goV(e)}`,
    });
  }

  private validateObject(
    val: Record<string, unknown>,
    merge: (r: Result) => void,
    add: (...e: OpenAPIError[]) => void,
  ): void {
    const s = this.schema;
    const p = this.path;
    const n = Object.keys(val).length;
    if (s.minProperties !== undefined && n < s.minProperties) {
      add({
        code: 'tooFewProps',
        name: p,
        value: n,
        valid: s.minProperties,
        message: `${p} in ${IN} should have at least ${s.minProperties} properties`,
      });
    }
    if (s.maxProperties !== undefined && n > s.maxProperties) {
      add({
        code: 'tooManyProps',
        name: p,
        value: n,
        valid: s.maxProperties,
        message: `${p} in ${IN} should have at most ${s.maxProperties} properties`,
      });
    }
    const props = s.properties ?? {};
    if (s.additionalProperties === false) {
      for (const k of Object.keys(val)) {
        if (!(k in props))
          add({
            code: 'unallowedProp',
            name: p,
            value: k,
            message: `${p}.${k} in ${IN} is a forbidden property`,
          });
      }
    } else if (typeof s.additionalProperties === 'object') {
      for (const [k, v] of Object.entries(val)) {
        if (!(k in props))
          merge(new Validator(s.additionalProperties, `${p}.${k}`, oldChild(this.old, k)).validate(v));
      }
    }
    for (const [name, sub] of Object.entries(props)) {
      if (name in val)
        merge(new Validator(sub, p ? `${p}.${name}` : name, oldChild(this.old, name)).validate(val[name]));
    }
    for (const k of s.required ?? []) {
      if (!(k in val))
        add({ code: 'required', name: `${p}.${k}`, message: `${p}.${k} in ${IN} is required` });
    }
  }
}

/** kubeOpenAPIResultToFieldErrors: maps kube-openapi errors onto field errors under `fldPath`. */
function toFieldErrors(fldPath: string, errors: OpenAPIError[]): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    if (!e.code) {
      out.push(fieldErr.invalid(fldPath || NIL_PATH, '', e.message));
      continue;
    }
    let p = fldPath;
    if (e.name && e.name !== '.') {
      const n = e.name.replace(/^\./, '');
      p = p ? `${p}.${n}` : n;
    }
    const value = e.value === undefined || e.value === null ? '' : e.value;
    switch (e.code) {
      case 'required':
        out.push(fieldErr.required(p));
        break;
      case 'enum':
        out.push(
          fieldErr.notSupported(
            p,
            e.value ?? null,
            (e.values ?? []).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
          ),
        );
        break;
      case 'tooLong':
        out.push(fieldErr.tooLong(p, e.valid ?? -1));
        break;
      case 'maxItems':
      case 'tooManyProps':
        out.push(fieldErr.tooMany(p, typeof e.value === 'number' ? e.value : -1, e.valid ?? -1));
        break;
      case 'type':
        out.push(fieldErr.typeInvalid(p, value, e.message));
        break;
      default:
        out.push(fieldErr.invalid(p, value, e.message));
    }
  }
  return out;
}

/**
 * Validates `value` against `schema`; pass `old` on update to ratchet (CRDValidationRatcheting,
 * on by default in v1.32): errors in subtrees equal to the old object's are dropped. `fldPath` prefixes the reported fields (e.g. `status` when
 * the status subresource validates only the status). Root-level paths are relative to the object.
 */
export function validateAgainstSchema(
  schema: JSONSchemaProps | undefined,
  value: unknown,
  fldPath = '',
  old?: { v: unknown },
): FieldError[] {
  if (!schema) return [];
  const r = new Validator(schema, '', old).validate(value);
  return toFieldErrors(fldPath, r.errors);
}
