// The tenant's view of a host pod: what the webhook wired in (pod-translate.ts) taken out again,
// so a tenant reads its pods as it wrote them (and as the host's ServiceAccount admission left
// them). Rule-based, no record: every injected field says it is kplex's (it reads a kplex.io/
// annotation, or names kplex's CA ConfigMap or the tenant's audience in a translated pod).
import { isObject } from '../api/object.js';
import {
  API_ENV,
  ANNOTATION_NAMESPACE,
  CA_CONFIGMAP,
  CONTAINER_LISTS,
  HOST_CA_CONFIGMAP,
  annotationPath,
  arr,
  podTokenAudience,
  type Obj,
} from './pod-wiring.js';
import { dnsToVirtual } from './pod-dns.js';

const VIRTUAL_NAMESPACE_PATH = annotationPath(ANNOTATION_NAMESPACE);
const INJECTED_ENV_PATHS = new Set(API_ENV.map(([, key]) => annotationPath(key)));

/** True when `obj` is a pod the webhook translated (call before kplex.io/ annotations are dropped). */
export function isTranslatedPod(obj: Obj): boolean {
  const meta = obj['metadata'];
  return (
    isObject(meta) &&
    isObject(meta['annotations']) &&
    typeof meta['annotations'][ANNOTATION_NAMESPACE] === 'string'
  );
}

/** Undoes the translation in place (annotations are left to the generic kplex.io/ key rule). */
export function podToVirtual(obj: Obj, tenant: string): void {
  if (!isTranslatedPod(obj) || !isObject(obj['spec'])) return;
  const spec = obj['spec'];
  dnsToVirtual(obj);
  for (const list of CONTAINER_LISTS)
    for (const c of arr(spec[list])) {
      if (!isObject(c) || !Array.isArray(c['env'])) continue;
      const env = c['env'].filter(
        (e) => !INJECTED_ENV_PATHS.has(fieldPathOf(isObject(e) ? e['valueFrom'] : undefined) ?? ''),
      );
      for (const e of env)
        if (isObject(e) && isObject(e['valueFrom'])) realNamespace(e['valueFrom']['fieldRef']);
      if (env.length) c['env'] = env;
      else delete c['env'];
    }
  const audience = podTokenAudience(tenant);
  for (const v of arr(spec['volumes'])) {
    if (!isObject(v)) continue;
    if (isObject(v['downwardAPI']))
      for (const item of arr(v['downwardAPI']['items'])) if (isObject(item)) realNamespace(item['fieldRef']);
    if (!isObject(v['projected'])) continue;
    for (const s of arr(v['projected']['sources'])) {
      if (!isObject(s)) continue;
      const token = s['serviceAccountToken'];
      if (isObject(token) && token['audience'] === audience) delete token['audience'];
      if (isObject(s['configMap']) && s['configMap']['name'] === CA_CONFIGMAP)
        s['configMap']['name'] = HOST_CA_CONFIGMAP;
      if (isObject(s['downwardAPI']))
        for (const item of arr(s['downwardAPI']['items']))
          if (isObject(item)) realNamespace(item['fieldRef']);
    }
  }
}

function fieldPathOf(valueFrom: unknown): string | undefined {
  const ref = isObject(valueFrom) ? valueFrom['fieldRef'] : undefined;
  return isObject(ref) && typeof ref['fieldPath'] === 'string' ? ref['fieldPath'] : undefined;
}

function realNamespace(ref: unknown): void {
  if (isObject(ref) && ref['fieldPath'] === VIRTUAL_NAMESPACE_PATH) ref['fieldPath'] = 'metadata.namespace';
}
