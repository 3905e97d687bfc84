// ConversionReview both ways, as apiextensions-apiserver's webhook converter
// (pkg/apiserver/conversion/webhook_converter.go): the request in the first review version the
// CRD names that kplex speaks (v1 or v1beta1), the answer checked before any of it is used (kind,
// uid, result, count, each object's apiVersion, kind, name, namespace and uid), and the converted
// object's metadata restored from the original except labels and annotations.
import { isObject, type KubeObject } from '../api/object.js';
import { fieldErrorMessage, type FieldError } from '../api/status.js';
import { validateLabels } from '../api/labels.js';
import { validateAnnotations } from './metadata-validation.js';

const REVIEW_GROUP = 'apiextensions.k8s.io';

export interface ConversionRequest {
  /** The review version sent (the answer must be of it). */
  version: 'v1' | 'v1beta1';
  body: string;
}

/** createConversionReviewObjects: the first of the CRD's versions kplex speaks. */
export function conversionRequest(
  reviewVersions: readonly string[],
  objects: readonly KubeObject[],
  desiredAPIVersion: string,
  uid: string,
): ConversionRequest {
  const version = reviewVersions.find((v) => v === 'v1' || v === 'v1beta1') as 'v1' | 'v1beta1' | undefined;
  if (!version) throw new Error('no supported conversion review versions');
  const review = {
    kind: 'ConversionReview',
    apiVersion: `${REVIEW_GROUP}/${version}`,
    request: { uid, desiredAPIVersion, objects },
    response: { uid: '', convertedObjects: null, result: { metadata: {} } },
  };
  return { version, body: JSON.stringify(review) };
}

/** getConvertedObjectsFromResponse: the answer's objects, or why it is not one. */
export function convertedObjects(uid: string, sent: ConversionRequest, answer: unknown): unknown[] {
  const a = isObject(answer) ? answer : {};
  if (sent.version === 'v1') {
    const got = `${str(a['apiVersion'])}, Kind=${str(a['kind'])}`;
    if (a['apiVersion'] !== `${REVIEW_GROUP}/v1` || a['kind'] !== 'ConversionReview')
      throw new Error(`expected webhook response of ${REVIEW_GROUP}/v1, Kind=ConversionReview, got ${got}`);
  }
  const r = a['response'];
  if (!isObject(r)) throw new Error('no response provided');
  if (sent.version === 'v1' && r['uid'] !== uid)
    throw new Error(`expected response.uid="${uid}", got "${str(r['uid'])}"`);
  const result = isObject(r['result']) ? r['result'] : {};
  if (result['status'] !== 'Success') {
    const message = str(result['message']);
    if (message) throw new Error(message);
    throw new Error(`response.result.status was '${str(result['status'])}', not 'Success'`);
  }
  return Array.isArray(r['convertedObjects']) ? r['convertedObjects'] : [];
}

/** `group/version, Kind=kind`: how Go prints a GroupVersionKind. */
export function gvkString(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/');
  const gv = slash < 0 ? `/${apiVersion}` : apiVersion;
  return `${gv}, Kind=${kind}`;
}

/**
 * One converted object checked against its original and given back the original's metadata
 * with the webhook's labels and annotations (validateConvertedObject, restoreObjectMeta).
 * Throws the part of the message after the converter's prefix; `where` names the object
 * (`invalid object at index 0` or `invalid converted object at index N`).
 */
export function checkConverted(
  original: KubeObject,
  converted: unknown,
  desiredAPIVersion: string,
  where: { single: boolean; index: number },
): KubeObject {
  const at = where.single ? 'invalid object at index 0' : `invalid converted object at index ${where.index}`;
  if (!isObject(converted))
    throw new Error(`returned ${at}: Object 'Kind' is missing in the converted object`);
  const c = converted as KubeObject;
  if (str(c.apiVersion) !== desiredAPIVersion)
    throw new Error(
      `returned ${at}: invalid groupVersion (expected ${desiredAPIVersion}, received ${str(c.apiVersion)})`,
    );
  if (str(c.kind) !== str(original.kind))
    throw new Error(`returned ${at}: invalid kind (expected ${str(original.kind)}, received ${str(c.kind)})`);
  const invalidObject = where.single ? 'invalid object' : at;
  const om = original.metadata ?? {};
  const cm = isObject(c.metadata) ? (c.metadata as Record<string, unknown>) : {};
  const same = (what: string, a: unknown, b: unknown): void => {
    if (str(a) !== str(b))
      throw new Error(`returned ${invalidObject}: must have the same ${what}: ${str(a)} != ${str(b)}`);
  };
  same('name', om.name, cm['name']);
  same('namespace', om.namespace, cm['namespace']);
  same('UID', om.uid, cm['uid']);
  const metaWhere = where.single ? 'invalid metadata' : `invalid metadata in object at index ${where.index}`;
  if (c.metadata === undefined || c.metadata === null)
    throw new Error(`returned ${metaWhere}: missing metadata in converted object`);
  if (!isObject(c.metadata))
    throw new Error(
      `returned ${metaWhere}: invalid metadata of type ${goType(c.metadata)} in converted object`,
    );
  const meta: Record<string, unknown> = structuredClone((om as Record<string, unknown>) ?? {});
  for (const fld of ['labels', 'annotations'] as const) {
    const response = cm[fld];
    if (response === undefined || response === null) {
      delete meta[fld];
      continue;
    }
    if (!isObject(response))
      throw new Error(
        `returned ${metaWhere}: invalid metadata.${fld} of type ${goType(response)} in converted object`,
      );
    const before = (isObject(meta[fld]) ? meta[fld] : {}) as Record<string, unknown>;
    let changed = Object.keys(before).length !== Object.keys(response).length;
    for (const [k, v] of Object.entries(response)) {
      if (typeof v !== 'string')
        throw new Error(
          `returned ${metaWhere}: metadata.${fld}[${k}] must be a string, but is ${goType(v)} in converted object`,
        );
      if (before[k] !== v) changed = true;
    }
    if (changed) {
      const errs: FieldError[] =
        fld === 'labels'
          ? validateLabels(response, 'metadata.labels')
          : validateAnnotations(response, 'metadata.annotation');
      if (errs.length) throw new Error(`returned ${metaWhere}: ${aggregate(errs)}`);
    }
    meta[fld] = response;
  }
  return { ...c, metadata: meta } as KubeObject;
}

/** utilerrors.Aggregate's text. */
function aggregate(errs: FieldError[]): string {
  const msgs = errs.map(fieldErrorMessage);
  return msgs.length === 1 ? msgs[0]! : `[${msgs.join(', ')}]`;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The Go type a JSON value decodes to, as %T prints it. */
function goType(v: unknown): string {
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (isObject(v)) return 'map[string]interface {}';
  return '<nil>';
}
