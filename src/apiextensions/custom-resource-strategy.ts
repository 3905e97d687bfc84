// The Strategy of a custom resource (registry/customresource/strategy.go and validator.go): status
// subresource write rules, schema + metadata + list-type + CEL validation, pruning, selectable
// fields and printer columns, all derived from one CRD version.
import { clonePlain } from '../api/object.js';
import { addedFinalizerWarnings } from './finalizer-warnings.js';
import type { KubeObject } from '../api/object.js';
import type { FieldError } from '../api/status.js';
import type { FullStrategy, StrategyContext } from '../registry/strategy.js';
import type { PrinterColumn } from '../resources/types.js';
import { hasCelRules, validateCelRules } from './cel/rule-validation.js';
import { crdPrinterColumns } from './crd-resource-info.js';
import type { CRDVersion, CustomResourceDefinition } from './crd-types.js';
import { applyDefaults, hasDefaults, pruneNonNullableNulls } from './defaulting.js';
import { schemaNodeFromOpenAPIV3, withObjectMeta } from '../patch/index.js';
import { validateEmbeddedResources } from './embedded-resource-validation.js';
import { fieldErr, NIL_PATH } from '../api/field-errors.js';
import { validateListSetsAndMaps } from './list-type-validation.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './metadata-validation.js';
import { nameIsDNSSubdomain } from '../api/name-validation.js';
import { findResults } from './printer-columns.js';
import { pruneObject } from './pruning.js';
import type { JSONSchemaProps } from './schema-types.js';
import { goV, validateAgainstSchema } from './schema-validation.js';

type Obj = Record<string, unknown>;
const MAX_INT32 = 2147483647;

/** Errors that make the apiserver skip CEL rules (hasBlockingErr). */
const blocking = new Set([
  'FieldValueNotSupported',
  'FieldValueRequired',
  'FieldValueTooLong',
  'FieldValueTooMany',
  'FieldValueTypeInvalid',
]);

function nested(obj: Obj, path: string): { value: unknown; found: boolean } {
  let cur: unknown = obj;
  for (const p of path.replace(/^\./, '').split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !(p in (cur as Obj)))
      return { value: undefined, found: false };
    cur = (cur as Obj)[p];
  }
  return { value: cur, found: true };
}

/** NestedInt64 checks of the scale subresource's replica paths. */
function validateReplicas(obj: Obj, path: string): FieldError[] {
  const { value, found } = nested(obj, path);
  if (!found) return [];
  const fld = path.replace(/^\./, '');
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    const t =
      value === null
        ? '<nil>'
        : Array.isArray(value)
          ? '[]interface {}'
          : typeof value === 'object'
            ? 'map[string]interface {}'
            : typeof value === 'number'
              ? 'float64'
              : typeof value === 'boolean'
                ? 'bool'
                : 'string';
    return [
      fieldErr.invalid(path, 0, `.${fld} accessor error: ${goV(value)} is of the type ${t}, expected int64`),
    ];
  }
  if (value < 0) return [fieldErr.invalid(path, value, 'should be a non-negative integer')];
  if (value > MAX_INT32)
    return [fieldErr.invalid(path, value, `should be less than or equal to ${MAX_INT32}`)];
  return [];
}

/** A write that validates gets the finalizer warnings of the apiserver's WarningsOnCreate/Update. */
function withFinalizerWarnings(
  errs: FieldError[],
  warnings: string[],
  obj: KubeObject,
  old?: KubeObject,
): FieldError[] {
  if (errs.length === 0) warnings.push(...addedFinalizerWarnings(obj, old));
  return errs;
}
export function customResourceStrategy(crd: CustomResourceDefinition, version: string): FullStrategy {
  const v: CRDVersion | undefined = crd.spec.versions.find((x) => x.name === version);
  if (!v) throw new Error(`version ${version} not found in ${crd.metadata?.name}`);
  const schema: JSONSchemaProps | undefined = v.schema?.openAPIV3Schema;
  const statusSchema = schema?.properties?.status;
  const hasStatus = v.subresources?.status !== undefined;
  const scale = v.subresources?.scale;
  const namespaced = crd.spec.scope === 'Namespaced';
  const kind = crd.spec.names.kind;
  const apiVersion = `${crd.spec.group}/${version}`;
  const withCel = hasCelRules(schema);
  const patchSchemaNode = schema ? withObjectMeta(schemaNodeFromOpenAPIV3(schema)) : undefined;
  const columns = crdPrinterColumns(v);

  const typeMeta = (obj: Obj): FieldError[] => {
    const errs: FieldError[] = [];
    if (obj.kind !== kind) errs.push(fieldErr.invalid('kind', obj.kind ?? '', `must be ${kind}`));
    if (obj.apiVersion !== apiVersion)
      errs.push(fieldErr.invalid('apiVersion', obj.apiVersion ?? '', `must be ${apiVersion}`));
    return errs;
  };

  const scaleErrors = (obj: Obj, withSpec: boolean): FieldError[] => {
    if (!scale) return [];
    const errs = withSpec ? validateReplicas(obj, scale.specReplicasPath) : [];
    errs.push(...validateReplicas(obj, scale.statusReplicasPath));
    if (scale.labelSelectorPath) {
      const { value, found } = nested(obj, scale.labelSelectorPath);
      if (found && typeof value !== 'string')
        errs.push(
          fieldErr.invalid(
            scale.labelSelectorPath,
            '',
            `${scale.labelSelectorPath} accessor error: ${JSON.stringify(value)} is not a string`,
          ),
        );
    }
    return errs;
  };

  const celAfter = (errs: FieldError[], obj: Obj, old: Obj | undefined, warnings: string[]): FieldError[] => {
    if (!withCel) return errs;
    if (errs.some((e) => blocking.has(e.type))) {
      errs.push(
        fieldErr.invalid(
          NIL_PATH,
          null,
          'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
        ),
      );
      return errs;
    }
    errs.push(...validateCelRules(schema, obj, old, '', warnings));
    return errs;
  };

  return {
    nameValidation: 'dns1123-subdomain',
    prepareForCreate(obj) {
      if (hasStatus) delete obj.status;
    },
    prepareForUpdate(obj, old, ctx: StrategyContext) {
      if (ctx.subresource === 'status') {
        // Status writes change only status (statusStrategy: everything else comes from old).
        // Only managedFields (tracked for the status write) survive from the request's metadata.
        const status = obj.status;
        const hadStatus = 'status' in obj;
        const managedFields = obj.metadata?.managedFields;
        for (const k of Object.keys(obj)) delete obj[k];
        Object.assign(obj, clonePlain(old));
        if (hadStatus) obj.status = status;
        else delete obj.status;
        if (obj.metadata) {
          if (managedFields === undefined) delete obj.metadata.managedFields;
          else obj.metadata.managedFields = managedFields;
        }
        return;
      }
      if (hasStatus) {
        if ('status' in old) obj.status = clonePlain(old.status);
        else delete obj.status;
      }
    },
    validateCreate(obj, ctx) {
      const o = obj as Obj;
      const tm = typeMeta(o);
      if (tm.length) return tm;
      const errs = validateObjectMeta(obj.metadata, namespaced, nameIsDNSSubdomain);
      errs.push(...validateAgainstSchema(schema, o));
      errs.push(...scaleErrors(o, true));
      errs.push(...validateEmbeddedResources('', o, schema));
      errs.push(...validateListSetsAndMaps('', schema, o));
      return withFinalizerWarnings(celAfter(errs, o, undefined, ctx.warnings), ctx.warnings, obj);
    },
    validateUpdate(obj, old, ctx) {
      const o = obj as Obj;
      const prev = old as Obj;
      const tm = typeMeta(o);
      if (tm.length) return tm;
      const errs = validateObjectMetaUpdate(obj.metadata, old.metadata);
      if (ctx.subresource === 'status') {
        if ('status' in o)
          errs.push(
            ...validateAgainstSchema(
              statusSchema,
              o.status,
              'status',
              'status' in prev ? { v: prev.status } : undefined,
            ),
          );
        errs.push(...scaleErrors(o, false));
      } else {
        errs.push(...validateAgainstSchema(schema, o, '', { v: prev }));
        errs.push(...scaleErrors(o, true));
      }
      errs.push(...validateEmbeddedResources('', o, schema));
      if (validateListSetsAndMaps('', schema, prev).length === 0)
        errs.push(...validateListSetsAndMaps('', schema, o));
      const all = celAfter(errs, o, prev, ctx.warnings);
      return ctx.subresource === 'status' ? all : withFinalizerWarnings(all, ctx.warnings, obj, old);
    },
    pruneUnknownFields(obj) {
      return pruneObject(obj, schema, true);
    },
    // List/map types of the schema, so server-side apply merges list-maps per key as the apiserver does.
    patchSchema: () => patchSchemaNode,
    applyDefaults(obj) {
      if (schema) applyDefaults(obj, schema);
    },
    defaultsApply: hasDefaults(schema),
    selectableFields(obj) {
      const out: Record<string, string> = {};
      for (const f of v.selectableFields ?? []) {
        const r = findResults(obj, f.jsonPath);
        const key = f.jsonPath.replace(/^\./, '');
        const val = r[0];
        out[key] = val === undefined || val === null ? '' : typeof val === 'string' ? val : String(val);
      }
      return out;
    },
    printerColumns: (): PrinterColumn[] => columns,
  };
}

/** Defaulting as the CR decoder applies it: drop nulls of non-nullable fields, then defaults. */
export function defaultCustomResource(obj: KubeObject, crd: CustomResourceDefinition, version: string): void {
  const schema = crd.spec.versions.find((x) => x.name === version)?.schema?.openAPIV3Schema;
  pruneNonNullableNulls(obj, schema);
  applyDefaults(obj, schema);
}
