// Rewrites objects between the tenant's view and the host's: metadata.namespace and the
// namespace-bearing fields of every kind (namespace-translator.ts, both ways), kplex's own
// labels/annotations hidden, selfLink dropped, host namespace names in messages replaced by
// virtual ones. Works in place.
import { isObject } from '../api/object.js';
import { PathSet, visitPath } from './field-paths.js';
import { ALL_NAMESPACE_FIELDS } from './namespace-fields.js';
import {
  type NamespaceMap,
  namespaceFieldsToHost,
  namespaceFieldsToVirtual,
  textToVirtual,
} from './namespace-translator.js';
import { storageCellsToVirtual, storageRefsToHost, storageRefsToVirtual } from './storage-refs.js';
import { tokenSecretToVirtual } from './token-secrets.js';
import { podToVirtual } from '../syncer/pod-view.js';
import { classNamesToHost, classNamesToVirtual } from '../syncer/class-names.js';
import { isOwnershipKey, ownersToHost, ownersToVirtual } from './virtual-owners.js';

type Obj = Record<string, unknown>;

/** Where an object keeps metadata (labels/annotations) of its own and of the templates it holds. */
const METADATA_PATHS = ['metadata', ...ALL_NAMESPACE_FIELDS.templateMetadata];

/** The ones kept and put back by a patch: one object each (a template list's elements are not told apart). */
const SINGLE_METADATA_PATHS = METADATA_PATHS.filter((p) => !p.includes('[]'));

/** Human-readable text that may name a host namespace (scheduler events, conditions, Status). */
const MESSAGE_FIELDS: readonly string[] = [
  'message',
  'note',
  'status.message',
  'status.conditions[].message',
  'details.causes[].message',
];

/** Both compiled once: every object of a list is visited. */
const TEMPLATE_METADATA = new PathSet(METADATA_PATHS.slice(1));
const MESSAGES = new PathSet(MESSAGE_FIELDS);

/**
 * The label of host objects kplex keeps in a tenant's host namespace for its own use (the CA
 * ConfigMap tenant pods mount): left out of the tenant's lists, Tables and watch events.
 */
export const HIDDEN_LABEL = 'kplex.io/hidden';

/** Whether a host object (or a Table row's object) is one of kplex's own, hidden from the tenant. */
export function isHiddenHostObject(obj: unknown): boolean {
  const labels = isObject(obj) && isObject(obj['metadata']) ? obj['metadata']['labels'] : undefined;
  return isObject(labels) && labels[HIDDEN_LABEL] === 'true';
}

/** Labels and annotations kplex puts on host objects; a tenant never sees them. */
export const isKplexKey = (k: string): boolean => k.startsWith('kplex.io/') || k.includes('.kplex.io/');

/**
 * A request object on its way to the host namespace `hostNs`; `previous` is the host's current
 * object when the write is a patch of it (storage-refs.ts).
 */
export function objectToHost(
  obj: unknown,
  map: NamespaceMap,
  hostNs: string | undefined,
  previous?: unknown,
): void {
  if (!isObject(obj)) return;
  const meta = obj['metadata'];
  if (isObject(meta) && hostNs !== undefined && typeof meta['namespace'] === 'string')
    meta['namespace'] = hostNs;
  if (isObject(meta)) {
    // A tenant may not set kplex's own keys (they would be hidden from it and trusted by kplex).
    for (const f of ['labels', 'annotations'])
      if (isObject(meta[f])) for (const k of Object.keys(meta[f])) if (isKplexKey(k)) delete meta[f][k];
  }
  namespaceFieldsToHost(obj, map);
  if (map.storageRefs) storageRefsToHost(obj, map, map.storageRefs, previous);
  if (map.isHostKind && ownersToHost(obj, map.isHostKind) && hostNs) map.onVirtualOwned?.(hostNs);
  // Templates: the same rules apply to their metadata keys.
  for (const p of METADATA_PATHS.slice(1)) {
    visitPath(obj, p, (o, k) => {
      const m = o[k];
      if (isObject(m))
        for (const f of ['labels', 'annotations'])
          if (isObject(m[f])) for (const key of Object.keys(m[f])) if (isKplexKey(key)) delete m[f][key];
    });
  }
  classNamesToHost(obj, classTenant(map)); // after the strip: it may record a name in a kplex.io/ key
}

/** Whose class names (host-classes.ts): the Tenant's UID, its name for a caller without one. */
const classTenant = (map: NamespaceMap): string => map.tenantUid || `name:${map.tenant}`;

/** kplex's own labels/annotations of a host object, by metadata path: what a tenant never sees. */
export type HostOnlyKeys = Map<string, Record<string, string>>;

export function hostOnlyKeys(hostObj: unknown): HostOnlyKeys {
  const kept: HostOnlyKeys = new Map();
  for (const p of SINGLE_METADATA_PATHS)
    visitPath(hostObj, p, (o, k) => {
      const m = o[k];
      if (!isObject(m)) return;
      for (const f of ['labels', 'annotations'])
        if (isObject(m[f]))
          for (const [key, v] of Object.entries(m[f]))
            // Ownership keys are derived from the written ownerReferences again (virtual-owners.ts).
            if (isKplexKey(key) && !isOwnershipKey(key) && typeof v === 'string') {
              const at = `${p}.${f}`;
              kept.set(at, { ...(kept.get(at) ?? {}), [key]: v });
            }
    });
  return kept;
}

/** Puts kplex's own keys back on an object rewritten for the host (a tenant cannot have changed them). */
export function restoreHostOnlyKeys(obj: unknown, kept: HostOnlyKeys): void {
  for (const [at, keys] of kept) {
    const dot = at.lastIndexOf('.');
    visitPath(obj, at.slice(0, dot), (o, k) => {
      const m = o[k];
      if (!isObject(m)) return;
      const f = at.slice(dot + 1);
      m[f] = { ...(isObject(m[f]) ? m[f] : {}), ...keys };
    });
  }
}

function metaToVirtual(meta: unknown, map: NamespaceMap): void {
  if (!isObject(meta)) return;
  if (typeof meta['namespace'] === 'string' && meta['namespace'])
    meta['namespace'] = map.virtualRef(meta['namespace']);
  delete meta['selfLink'];
  for (const f of ['labels', 'annotations']) {
    const m = meta[f];
    if (!isObject(m)) continue;
    for (const k of Object.keys(m)) if (isKplexKey(k)) delete m[k];
    if (Object.keys(m).length === 0) delete meta[f];
  }
  if (typeof meta['continue'] === 'string') delete meta['continue']; // list continue: re-issued by the caller
  if (Array.isArray(meta['managedFields']))
    for (const e of meta['managedFields'])
      if (isObject(e) && isObject(e['fieldsV1'])) dropKplexFields(e['fieldsV1']);
}

/** managedFields name every label key a manager set, kplex's hidden ones too (`f:kplex.io/...`). */
function dropKplexFields(set: Obj): void {
  for (const [k, v] of Object.entries(set)) {
    if (k.startsWith('f:') && isKplexKey(k.slice(2))) delete set[k];
    else if (isObject(v)) dropKplexFields(v);
  }
}

/** A host object (or Status, or Table row object) on its way to the tenant. */
export function objectToVirtual(obj: unknown, map: NamespaceMap): void {
  if (!isObject(obj)) return;
  tokenSecretToVirtual(obj, map); // before metadata.namespace turns virtual
  podToVirtual(obj, map.tenant); // what the pod webhook wired in; before kplex.io/ keys go
  classNamesToVirtual(obj, classTenant(map)); // the tenant's class names; before kplex.io/ keys go
  ownersToVirtual(obj['metadata']); // virtual owners' references, kept in kplex annotations
  metaToVirtual(obj['metadata'], map);
  namespaceFieldsToVirtual(obj, map);
  storageRefsToVirtual(obj, map);
  TEMPLATE_METADATA.visit(obj, (o, k) => metaToVirtualKeysOnly(o[k]));
  MESSAGES.visit(obj, (o, k) => typeof o[k] === 'string' && (o[k] = textToVirtual(o[k] as string, map)));
  if (obj['kind'] === 'Status' && isObject(obj['details']) && typeof obj['details']['name'] === 'string') {
    obj['details']['name'] = textToVirtual(obj['details']['name'], map);
  }
  if (obj['kind'] === 'Status' && typeof obj['message'] === 'string' && map.requester !== undefined)
    obj['message'] = refusalAsRequester(obj['message'], map.requester);
}

/**
 * kplex asks the host as itself, so a host authorization refusal names kplex's host user (a
 * ServiceAccount in kplex's namespace, or the admin certificate's user): that name is the host's,
 * and the tenant sees its own user in the apiserver's wording instead.
 */
export function refusalAsRequester(message: string, requester: string): string {
  return message.replace(
    /\bUser "(?:[^"\\]|\\.)*" cannot /g,
    () => `User ${JSON.stringify(requester)} cannot `,
  );
}

function metaToVirtualKeysOnly(meta: unknown): void {
  if (!isObject(meta)) return;
  for (const f of ['labels', 'annotations']) {
    const m = meta[f];
    if (isObject(m)) for (const k of Object.keys(m)) if (isKplexKey(k)) delete m[k];
  }
}

/** Any response body: object, list, Table, Status, PartialObjectMetadata(List). */
export function bodyToVirtual(body: unknown, map: NamespaceMap): void {
  if (!isObject(body)) return;
  if (body['kind'] === 'Table') {
    metaToVirtual(body['metadata'], map);
    if (Array.isArray(body['rows']))
      body['rows'] = body['rows'].filter((r) => !isObject(r) || !isHiddenHostObject(r['object']));
    for (const row of Array.isArray(body['rows']) ? body['rows'] : []) {
      if (!isObject(row)) continue;
      objectToVirtual(row['object'], map);
      if (Array.isArray(row['cells']))
        row['cells'] = row['cells'].map((c) => (typeof c === 'string' ? textToVirtual(c, map) : c));
    }
    storageCellsToVirtual(body, map);
    return;
  }
  if (Array.isArray(body['items'])) {
    metaToVirtual(body['metadata'], map);
    body['items'] = body['items'].filter((item) => !isHiddenHostObject(item));
    for (const item of body['items'] as unknown[]) objectToVirtual(item, map);
    return;
  }
  objectToVirtual(body, map);
}
