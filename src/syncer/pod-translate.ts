// The host form of a tenant pod (what the webhook makes of it): env and token volume wired to the
// tenant's API through kplex, the downward API's namespace turned virtual, DNS through kplex. Pure and idempotent:
// translating a translated pod, or the tenant's view of one (pod-view.ts), gives the same pod, so
// an UPDATE carrying the tenant's view is translated back to exactly what the host holds.
import { isObject } from '../api/object.js';
import {
  API_ENV,
  ANNOTATION_API_HOST,
  ANNOTATION_API_PORT,
  ANNOTATION_NAMESPACE,
  CA_CONFIGMAP,
  CONTAINER_LISTS,
  HOST_CA_CONFIGMAP,
  annotationPath,
  arr,
  podTokenAudience,
  type Obj,
  type PodTarget,
} from './pod-wiring.js';
import { dnsToHost } from './pod-dns.js';

const NAMESPACE_PATH = 'metadata.namespace';
const VIRTUAL_NAMESPACE_PATH = annotationPath(ANNOTATION_NAMESPACE);

/** A projected token the tenant asked for with an audience the host would accept. */
export interface AudienceRefusal {
  field: string;
  audience: string;
}

export interface Translated {
  pod: Obj;
  /** Token audiences the host apiserver accepts (a tenant pod must never get a host credential). */
  refused: AudienceRefusal[];
}

/** The host form of `pod` (a clone); `hostAudiences` are the audiences the host apiserver accepts. */
export function translatePod(pod: Obj, t: PodTarget, hostAudiences: readonly string[] = []): Translated {
  const out = structuredClone(pod);
  const meta = (isObject(out['metadata']) ? out['metadata'] : (out['metadata'] = {})) as Obj;
  meta['annotations'] = {
    ...(isObject(meta['annotations']) ? meta['annotations'] : {}),
    [ANNOTATION_NAMESPACE]: t.namespace,
    [ANNOTATION_API_HOST]: t.apiHost,
    [ANNOTATION_API_PORT]: String(t.apiPort),
  };
  const refused: AudienceRefusal[] = [];
  const spec = out['spec'];
  if (!isObject(spec)) return { pod: out, refused };
  if (t.dnsServer) dnsToHost(spec, meta['annotations'] as Obj, t.namespace, t.dnsServer);
  for (const list of CONTAINER_LISTS) for (const c of arr(spec[list])) if (isObject(c)) wireContainer(c);
  arr(spec['volumes']).forEach((v, i) => {
    if (!isObject(v)) return;
    if (isObject(v['downwardAPI'])) virtualNamespaceItems(v['downwardAPI']);
    if (!isObject(v['projected'])) return;
    arr(v['projected']['sources']).forEach((s, j) => {
      if (!isObject(s)) return;
      const token = s['serviceAccountToken'];
      if (isObject(token)) {
        const aud = typeof token['audience'] === 'string' ? token['audience'] : '';
        if (!aud) token['audience'] = podTokenAudience(t.tenant);
        else if (hostAudiences.includes(aud))
          refused.push({
            field: `spec.volumes[${i}].projected.sources[${j}].serviceAccountToken.audience`,
            audience: aud,
          });
      }
      if (isObject(s['configMap']) && s['configMap']['name'] === HOST_CA_CONFIGMAP)
        s['configMap']['name'] = CA_CONFIGMAP;
      if (isObject(s['downwardAPI'])) virtualNamespaceItems(s['downwardAPI']);
    });
  });
  return { pod: out, refused };
}

/** KUBERNETES_SERVICE_* first (so the tenant's `$(VAR)` references see kplex), unless the tenant set them. */
function wireContainer(c: Obj): void {
  const env = arr(c['env']);
  for (const e of env) {
    const ref = isObject(e) && isObject(e['valueFrom']) ? e['valueFrom']['fieldRef'] : undefined;
    if (isObject(ref) && ref['fieldPath'] === NAMESPACE_PATH) ref['fieldPath'] = VIRTUAL_NAMESPACE_PATH;
  }
  const named = new Set(env.map((e) => (isObject(e) ? e['name'] : undefined)));
  const added = API_ENV.filter(([name]) => !named.has(name)).map(([name, key]) => ({
    name,
    valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: annotationPath(key) } },
  }));
  if (added.length || env.length) c['env'] = [...added, ...env];
}

function virtualNamespaceItems(d: Obj): void {
  for (const item of arr(d['items'])) {
    const ref = isObject(item) ? item['fieldRef'] : undefined;
    if (isObject(ref) && ref['fieldPath'] === NAMESPACE_PATH) ref['fieldPath'] = VIRTUAL_NAMESPACE_PATH;
  }
}
