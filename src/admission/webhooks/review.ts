// AdmissionReview v1 both ways (webhook/request/admissionreview.go): the request in the tenant's
// names and user, the object in the version the matched rule names; the answer checked as the
// apiserver checks it (kind, uid, patch type) before anything of it is used.
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../../api/object.js';
import type { AdmissionAttributes } from '../attributes.js';
import { admissionRequest } from '../policy/attributes.js';
import type { Invocation } from './match.js';
import { CallFailure } from './types.js';

export interface Review {
  uid: string;
  body: string;
}

/** The object as the invocation's version shows it (conversion None: the same fields). */
function inVersion(o: KubeObject | null, inv: Invocation): KubeObject | null {
  if (!o) return null;
  const apiVersion = inv.kind.group ? `${inv.kind.group}/${inv.kind.version}` : inv.kind.version;
  return o.apiVersion === apiVersion ? o : { ...o, apiVersion };
}

export function reviewRequest(a: AdmissionAttributes, inv: Invocation): Review {
  const uid = randomUUID();
  const base = admissionRequest(a);
  const request = {
    ...base,
    uid,
    kind: inv.kind,
    resource: inv.resource,
    object: inVersion(a.object, inv),
    oldObject: inVersion(a.oldObject, inv),
  };
  return {
    uid,
    body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request }),
  };
}

export interface ReviewResult {
  allowed: boolean;
  result?: Record<string, unknown>;
  /** The decoded JSONPatch operations (mutating webhooks only). */
  patch?: unknown[];
  warnings: string[];
}

const invalid = (why: string) => new CallFailure(`received invalid webhook response: ${why}`);

/** VerifyAdmissionResponse for v1. */
export function verifyResponse(uid: string, mutating: boolean, answer: unknown): ReviewResult {
  const a = (answer ?? {}) as Record<string, unknown>;
  if (a['apiVersion'] !== 'admission.k8s.io/v1' || a['kind'] !== 'AdmissionReview')
    throw invalid(
      `expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${String(a['apiVersion'] ?? '')}, Kind=${String(a['kind'] ?? '')}`,
    );
  const r = a['response'] as Record<string, unknown> | undefined;
  if (typeof r !== 'object' || r === null) throw invalid('webhook response was absent');
  if (r['uid'] !== uid) throw invalid(`expected response.uid="${uid}", got "${String(r['uid'] ?? '')}"`);
  const warnings = (Array.isArray(r['warnings']) ? r['warnings'] : [])
    .filter((w): w is string => typeof w === 'string')
    .slice(0, 100);
  const out: ReviewResult = {
    allowed: r['allowed'] === true,
    result:
      typeof r['status'] === 'object' && r['status'] !== null
        ? (r['status'] as Record<string, unknown>)
        : undefined,
    warnings,
  };
  const patch = r['patch'];
  if (typeof patch === 'string' && patch.length) {
    const type = r['patchType'];
    if (!mutating) throw invalid('validating webhook may not return a patch');
    if (type !== 'JSONPatch') throw invalid(`webhook returned invalid patchType: "${String(type ?? '')}"`);
    let ops: unknown;
    try {
      ops = JSON.parse(Buffer.from(patch, 'base64').toString('utf8'));
    } catch (err) {
      throw new CallFailure(`received undecodable patch in webhook response: ${(err as Error).message}`);
    }
    if (!Array.isArray(ops))
      throw new CallFailure('received undecodable patch in webhook response: not a JSON array');
    out.patch = ops;
  } else if (r['patchType'] !== undefined && r['patchType'] !== 'JSONPatch' && mutating)
    throw invalid(`webhook returned invalid patchType: "${String(r['patchType'])}"`);
  return out;
}
