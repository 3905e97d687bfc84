// AdmissionReview v1 in and out: the request fields the pod webhook reads (checked, never
// trusted: the body comes from whoever reached the listener), and a response carrying a JSON
// patch or a denial.
import { isObject } from '../api/object.js';
import { type Obj } from './pod-wiring.js';

export interface PodAdmission {
  uid: string;
  operation: string;
  subResource: string;
  namespace: string;
  dryRun: boolean;
  object: Obj;
  oldObject?: Obj;
  /** Who asked the host (a host controller, kplex...): what a tenant's webhooks see as the user. */
  userInfo?: { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> };
}

function userInfoOf(u: unknown): PodAdmission['userInfo'] {
  if (!isObject(u) || typeof u['username'] !== 'string') return undefined;
  const groups = Array.isArray(u['groups'])
    ? u['groups'].filter((g): g is string => typeof g === 'string')
    : [];
  return { username: u['username'], ...(typeof u['uid'] === 'string' ? { uid: u['uid'] } : {}), groups };
}

/** The pod request of an AdmissionReview, or a reason it is not one. */
export function parsePodAdmission(body: unknown): PodAdmission | string {
  if (!isObject(body) || body['apiVersion'] !== 'admission.k8s.io/v1' || body['kind'] !== 'AdmissionReview')
    return 'expected an admission.k8s.io/v1 AdmissionReview';
  const r = body['request'];
  if (!isObject(r) || typeof r['uid'] !== 'string' || !r['uid']) return 'request.uid is required';
  const res = r['resource'];
  if (!isObject(res) || res['group'] !== '' || res['version'] !== 'v1' || res['resource'] !== 'pods')
    return 'only v1 pods are handled';
  if (!isObject(r['object'])) return 'request.object is required';
  return {
    uid: r['uid'],
    operation: typeof r['operation'] === 'string' ? r['operation'] : '',
    subResource: typeof r['subResource'] === 'string' ? r['subResource'] : '',
    namespace: typeof r['namespace'] === 'string' ? r['namespace'] : '',
    dryRun: r['dryRun'] === true,
    object: r['object'],
    ...(isObject(r['oldObject']) ? { oldObject: r['oldObject'] } : {}),
    ...(userInfoOf(r['userInfo']) ? { userInfo: userInfoOf(r['userInfo']) } : {}),
  };
}

type PatchOp = { op: 'add'; path: string; value: unknown };

/** JSON patch ops turning `from` into `to` at the two places the translation changes. */
export function translationPatch(from: Obj, to: Obj): PatchOp[] {
  const ops: PatchOp[] = [];
  const fromMeta = isObject(from['metadata']) ? from['metadata'] : {};
  const toMeta = isObject(to['metadata']) ? to['metadata'] : {};
  if (!isObject(from['metadata'])) ops.push({ op: 'add', path: '/metadata', value: {} });
  // Labels change only by a tenant's mutating webhook (pod-webhook.ts tenantAdmission).
  if (JSON.stringify(fromMeta['labels']) !== JSON.stringify(toMeta['labels']))
    ops.push({ op: 'add', path: '/metadata/labels', value: toMeta['labels'] ?? {} });
  if (JSON.stringify(fromMeta['annotations']) !== JSON.stringify(toMeta['annotations']))
    ops.push({ op: 'add', path: '/metadata/annotations', value: toMeta['annotations'] });
  // `add` on an existing member replaces it (RFC 6902).
  if (JSON.stringify(from['spec']) !== JSON.stringify(to['spec']))
    ops.push({ op: 'add', path: '/spec', value: to['spec'] });
  return ops;
}

export function reviewResponse(
  uid: string,
  answer: { patch?: PatchOp[]; denied?: { code: number; message: string } },
): Obj {
  const response: Obj = { uid, allowed: !answer.denied };
  if (answer.denied)
    response['status'] = {
      status: 'Failure',
      code: answer.denied.code,
      reason:
        answer.denied.code === 403 ? 'Forbidden' : answer.denied.code >= 500 ? 'InternalError' : 'BadRequest',
      message: answer.denied.message,
    };
  else if (answer.patch?.length) {
    response['patchType'] = 'JSONPatch';
    response['patch'] = Buffer.from(JSON.stringify(answer.patch)).toString('base64');
  }
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}
