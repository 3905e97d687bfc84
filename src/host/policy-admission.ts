// The objects of a host-backed write for the tenant's admission chain. The host applies defaults
// and its own validation, so the object a plugin judges must be the host's: when (and only when) a
// plugin wants the objects of the request, kplex reads the current object, sends the write as a
// dry run, and runs the chain on the results (both seen in the tenant's names) before the real
// write goes out. Writes no plugin covers cost nothing extra.
import type { KubeObject } from '../api/object.js';
import type { RequestInfo } from '../api/request-info.js';
import { admissionAttributes, type Operation } from '../admission/attributes.js';
import type { AdmissionChain, AdmissionEnv } from '../admission/chain.js';
import type { HostParamReader } from '../admission/policy/params.js';
import { selectorMatches } from '../api/labels.js';
import type { ResourceInfo } from '../resources/types.js';
import type { UserInfo } from '../registry/strategy.js';
import type { NamespaceMap } from '../rewrite/namespace-translator.js';
import { bodyToVirtual, hostOnlyKeys, objectToHost, restoreHostOnlyKeys } from '../rewrite/object-rewrite.js';
import type { HostClient } from '../hostapi/host-client.js';
import { type HostCall, callHost, hostPath, readJSON } from '../hostapi/host-request.js';
import { hostFacts } from './host-facts.js';
import { isObject } from '../api/object.js';
import { ANNOTATION_ADMISSION_DRY_RUN } from '../syncer/pod-wiring.js';

/** Verbs admitted here, and the options kind each sends (a PUT or patch that creates keeps UpdateOptions). */
const WRITES: Record<string, { operation: Operation; optionsKind: string }> = {
  create: { operation: 'CREATE', optionsKind: 'CreateOptions' },
  update: { operation: 'UPDATE', optionsKind: 'UpdateOptions' },
  patch: { operation: 'UPDATE', optionsKind: 'UpdateOptions' },
  delete: { operation: 'DELETE', optionsKind: 'DeleteOptions' },
};

async function hostObject(
  host: HostClient,
  c: HostCall,
  map: NamespaceMap,
): Promise<{ code: number; obj?: KubeObject; kept?: ReturnType<typeof hostOnlyKeys> }> {
  const r = await callHost(host, c);
  const body = await readJSON(r);
  if (r.statusCode >= 300 || typeof body !== 'object' || body === null) return { code: r.statusCode };
  const kept = hostOnlyKeys(body);
  bodyToVirtual(body, map);
  return { code: r.statusCode, obj: body as KubeObject, kept };
}

/** Reads params of host-backed kinds (e.g. ConfigMaps) in the tenant's names. */
export function hostParamReader(host: HostClient, map: NamespaceMap): HostParamReader {
  return async (row, namespace, ref) => {
    const h = namespace === undefined ? undefined : map.hostOf(namespace);
    if (row.namespaced && !h) return [];
    const path = hostPath(row, { namespace: h, name: ref.name });
    const r = await hostObject(host, { method: 'GET', path, accept: 'application/json' }, map);
    if (r.code === 404) return [];
    if (!r.obj) throw new Error(`reading params: host answered ${r.code}`);
    const items = (r.obj as { items?: KubeObject[] }).items ?? [];
    return ref.name ? [r.obj] : items.filter((o) => selectorMatches(ref.selector ?? {}, o.metadata?.labels));
  };
}

export interface HostWrite {
  host: HostClient;
  admission: AdmissionChain;
  row: ResourceInfo;
  info: RequestInfo;
  user: UserInfo;
  map: NamespaceMap;
  hostNamespace: string | undefined;
  /** The write as it will be sent to the host. */
  call: HostCall;
  /** The tenant-wide quota's admission of a create (a Service or PVC). */
  quota?: AdmissionEnv['quota'];
}

/** Runs the tenant's admission chain on a host-backed write: the warnings to add; throws the denial. */
export async function admitHostWrite(w: HostWrite): Promise<string[]> {
  const { info, row } = w;
  const write = WRITES[info.verb];
  if (!write) return [];
  let operation = write.operation;
  const attrs = (object: KubeObject | null, oldObject: KubeObject | null) =>
    admissionAttributes({
      row,
      info,
      user: w.user,
      operation,
      object,
      oldObject,
      dryRun: (w.call.query?.getAll('dryRun') ?? []).length > 0,
      fieldManager: w.call.query?.get('fieldManager') || undefined,
      optionsKind: write.optionsKind,
    });
  // PUT and apply-patch create what does not exist yet: decide after reading the current object.
  const before = attrs(null, null);
  if (
    !w.admission.wantsObjects(before) &&
    !(operation === 'UPDATE' && w.admission.wantsObjects({ ...before, operation: 'CREATE' }))
  )
    return [];
  let oldObject: KubeObject | null = null;

  if (operation !== 'CREATE') {
    const current = await hostObject(
      w.host,
      {
        method: 'GET',
        path: hostPath(row, { namespace: w.hostNamespace, name: info.name, subresource: info.subresource }),
        accept: 'application/json',
      },
      w.map,
    );
    if (current.code === 404 && operation === 'UPDATE') operation = 'CREATE';
    else if (!current.obj) return []; // the write itself will fail the same way
    oldObject = current.obj ?? null;
  }
  if (!w.admission.wantsObjects(attrs(null, oldObject))) return [];
  // What the tenant asked for, judged before the host answers anything about it.
  const submitted = operation === 'DELETE' ? null : submittedObject(w.call, w.map);
  if (submitted) {
    w.admission.admitSubmitted(attrs(submitted, oldObject));
    await w.admission.prepareObjects(attrs(submitted, oldObject));
  }
  let object: KubeObject | null = null;
  const env = {
    hostParams: hostParamReader(w.host, w.map),
    host: hostFacts(w.host, w.map),
    hostClient: w.host,
    hostNamespaceOf: (ns: string) => w.map.hostOf(ns),
    ...(w.quota ? { quota: w.quota } : {}),
  };
  const warnings: string[] = [];
  if (operation !== 'DELETE') {
    const query = new URLSearchParams(w.call.query);
    query.set('dryRun', 'All');
    const body = markedDryRun(w.call);
    const dry = await hostObject(w.host, { ...w.call, query, body, accept: 'application/json' }, w.map);
    if (!dry.obj) return []; // refused by the host: the real write gets the host's own error
    unmark(dry.kept);
    object = dry.obj;
    // Tenant mutating webhooks change the host's defaulted object; the mutated one is what is written.
    const a = attrs(object, oldObject);
    warnings.push(...(await w.admission.mutateObjects(a, env)));
    if (a.mutated) {
      w.admission.admitSubmitted(attrs(object, oldObject));
      writeMutated(w, operation, object, dry.kept);
    }
  } else warnings.push(...(await w.admission.mutateObjects(attrs(null, oldObject), env))); // a patch fails
  return [...warnings, ...(await w.admission.admitObjects(attrs(object, oldObject), env))];
}

/**
 * The real write becomes the mutated object in the host's names (kplex's own keys restored): a
 * POST for a create, a PUT otherwise (an apply too: its configuration is no longer what is written).
 */
function writeMutated(
  w: HostWrite,
  operation: Operation,
  object: KubeObject,
  kept: ReturnType<typeof hostOnlyKeys> | undefined,
): void {
  const body = structuredClone(object);
  const meta = body.metadata ?? {};
  delete meta.managedFields; // the host keeps or computes them for the request's manager
  if (operation === 'CREATE') {
    for (const k of ['uid', 'creationTimestamp', 'resourceVersion', 'generation'] as const) delete meta[k];
  }
  objectToHost(body, w.map, w.hostNamespace);
  if (kept) restoreHostOnlyKeys(body, kept);
  const query = new URLSearchParams(w.call.query);
  query.delete('force');
  Object.assign(w.call, {
    method: operation === 'CREATE' ? 'POST' : 'PUT',
    path:
      operation === 'CREATE'
        ? hostPath(w.row, { namespace: w.hostNamespace })
        : hostPath(w.row, { namespace: w.hostNamespace, name: w.info.name, subresource: w.info.subresource }),
    query,
    body: JSON.stringify(body),
    contentType: 'application/json',
  });
}

/**
 * A create's dry-run body, marked as kplex's own (the pod webhook's matchCondition skips it): the
 * chain judges the tenant's view, which undoes the translation, so the webhook call bought nothing.
 * A tenant cannot set kplex.io/ keys (objectToHost), and a dry run stores nothing.
 */
function markedDryRun(call: HostCall): string | undefined {
  if (call.method !== 'POST' || typeof call.body !== 'string') return call.body;
  try {
    const obj = JSON.parse(call.body) as unknown;
    if (!isObject(obj)) return call.body;
    const meta = isObject(obj['metadata']) ? obj['metadata'] : (obj['metadata'] = {});
    const annotations = isObject(meta['annotations']) ? meta['annotations'] : {};
    meta['annotations'] = { ...annotations, [ANNOTATION_ADMISSION_DRY_RUN]: 'true' };
    return JSON.stringify(obj);
  } catch {
    return call.body;
  }
}

/** The marker never reaches the real write (writeMutated restores kplex's keys of the dry run). */
function unmark(kept: ReturnType<typeof hostOnlyKeys> | undefined): void {
  const annotations = kept?.get('metadata.annotations');
  if (annotations) delete annotations[ANNOTATION_ADMISSION_DRY_RUN];
}

/** The body of the write as the tenant sent it (a patch kplex applied is already the whole object), in its names. */
function submittedObject(call: HostCall, map: NamespaceMap): KubeObject | null {
  if (typeof call.body !== 'string') return null;
  try {
    const obj = JSON.parse(call.body) as unknown;
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return null;
    bodyToVirtual(obj, map);
    return obj as KubeObject;
  } catch {
    return null;
  }
}
