// ObjectMeta validation of custom resources (apimachinery api/validation/objectmeta.go), as the
// custom resource strategy runs it: name as DNS-1123 subdomain, labels, annotations, finalizers.
import { isObject } from '../api/object.js';
import type { FieldError } from '../api/status.js';
import { fieldErr } from '../api/field-errors.js';
import { isDNS1123Label, isQualifiedName } from '../api/name-validation.js';
import { validateLabels } from '../api/labels.js';

export type NameFn = (name: string, prefix: boolean) => string[];
type Meta = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateAnnotations(annotations: unknown, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isObject(annotations)) return errs;
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(fieldErr.invalid(fld, k, m));
    size += Buffer.byteLength(k) + Buffer.byteLength(str(v));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(fieldErr.tooLong(fld, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

function validateFinalizers(finalizers: unknown, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(finalizers)) return errs;
  for (const f of finalizers)
    for (const m of isQualifiedName(str(f))) errs.push(fieldErr.invalid(fld, str(f), m));
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.push(
      fieldErr.invalid(fld, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'),
    );
  }
  return errs;
}

function validateOwnerReferences(refs: unknown, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(refs)) return errs;
  let controllers = 0;
  for (const r of refs) {
    if (!isObject(r)) continue;
    if (!str(r.apiVersion))
      errs.push(fieldErr.invalid(`${fld}.apiVersion`, str(r.apiVersion), 'version must not be empty'));
    if (!str(r.kind)) errs.push(fieldErr.invalid(`${fld}.kind`, str(r.kind), 'kind must not be empty'));
    if (!str(r.name)) errs.push(fieldErr.invalid(`${fld}.name`, str(r.name), 'name must not be empty'));
    if (!str(r.uid)) errs.push(fieldErr.invalid(`${fld}.uid`, str(r.uid), 'uid must not be empty'));
    if (r.controller === true) controllers++;
  }
  if (controllers > 1)
    errs.push(fieldErr.invalid(fld, refs, 'Only one reference can have Controller set to true'));
  return errs;
}

/** ValidateObjectMetaAccessor. */
export function validateObjectMeta(
  meta: Meta | undefined,
  namespaced: boolean,
  nameFn: NameFn,
  fld = 'metadata',
): FieldError[] {
  const m = meta ?? {};
  const errs: FieldError[] = [];
  const generateName = str(m.generateName);
  const name = str(m.name);
  const ns = str(m.namespace);
  if (generateName)
    for (const msg of nameFn(generateName, true))
      errs.push(fieldErr.invalid(`${fld}.generateName`, generateName, msg));
  if (!name) errs.push(fieldErr.required(`${fld}.name`, 'name or generateName is required'));
  else for (const msg of nameFn(name, false)) errs.push(fieldErr.invalid(`${fld}.name`, name, msg));
  if (namespaced) {
    if (!ns) errs.push(fieldErr.required(`${fld}.namespace`));
    else for (const msg of isDNS1123Label(ns)) errs.push(fieldErr.invalid(`${fld}.namespace`, ns, msg));
  } else if (ns) errs.push(fieldErr.forbidden(`${fld}.namespace`, 'not allowed on this type'));
  if (typeof m.generation === 'number' && m.generation < 0) {
    errs.push(fieldErr.invalid(`${fld}.generation`, m.generation, 'must be greater than or equal to 0'));
  }
  errs.push(...validateLabels(m.labels, `${fld}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${fld}.annotations`));
  errs.push(...validateOwnerReferences(m.ownerReferences, `${fld}.ownerReferences`));
  errs.push(...validateFinalizers(m.finalizers, `${fld}.finalizers`));
  return errs;
}

/** ValidateObjectMetaAccessorUpdate. */
export function validateObjectMetaUpdate(
  meta: Meta | undefined,
  old: Meta | undefined,
  fld = 'metadata',
): FieldError[] {
  const m = meta ?? {};
  const o = old ?? {};
  const errs: FieldError[] = [];
  if (!str(m.resourceVersion))
    errs.push(
      fieldErr.invalid(`${fld}.resourceVersion`, str(m.resourceVersion), 'must be specified for an update'),
    );
  if (typeof m.generation === 'number' && typeof o.generation === 'number' && m.generation < o.generation) {
    errs.push(fieldErr.invalid(`${fld}.generation`, m.generation, 'must not be decremented'));
  }
  for (const f of [
    'name',
    'namespace',
    'uid',
    'creationTimestamp',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
  ]) {
    if ((m[f] ?? '') !== (o[f] ?? ''))
      errs.push(fieldErr.invalid(`${fld}.${f}`, m[f] ?? '', 'field is immutable'));
  }
  errs.push(...validateLabels(m.labels, `${fld}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${fld}.annotations`));
  errs.push(...validateOwnerReferences(m.ownerReferences, `${fld}.ownerReferences`));
  return errs;
}
