// Rewrites objects between the tenant's view and the host's: namespace fields (namespace-fields.ts),
// namespace selectors ANDed with the tenant label, kplex's own labels/annotations hidden, selfLink
// dropped, host namespace names in messages replaced by virtual ones. Works in place.
import { LABEL_TENANT, LABEL_TENANT_UID } from '../tenancy/namespace-mapping.js';
import {
  MESSAGE_FIELDS,
  NAMESPACE_LIST_FIELDS,
  NAMESPACE_NAME_FIELDS,
  NAMESPACE_SELECTOR_FIELDS,
  visitPath,
} from './namespace-fields.js';
import type { NamespaceMap } from './namespace-map.js';
import { hostRefOf, placeholdersOf } from './placeholders.js';
import { tokenSecretToVirtual } from './token-secrets.js';

type Obj = Record<string, unknown>;

/** Where an object keeps metadata (labels/annotations) of its own and of the pod templates it holds. */
const METADATA_PATHS = [
  'metadata',
  'spec.template.metadata',
  'template.metadata',
  'spec.jobTemplate.metadata',
  'spec.jobTemplate.spec.template.metadata',
];

/** Labels and annotations kplex puts on host objects; a tenant never sees them. */
export const isKplexKey = (k: string): boolean => k.startsWith('kplex.io/') || k.includes('.kplex.io/');

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A request object on its way to the host namespace `hostNs`. */
export function objectToHost(obj: unknown, map: NamespaceMap, hostNs: string | undefined): void {
  if (!isObj(obj)) return;
  const meta = obj['metadata'];
  if (isObj(meta) && hostNs !== undefined && typeof meta['namespace'] === 'string')
    meta['namespace'] = hostNs;
  if (isObj(meta)) {
    // A tenant may not set kplex's own keys (they would be hidden from it and trusted by kplex).
    for (const f of ['labels', 'annotations'])
      if (isObj(meta[f])) for (const k of Object.keys(meta[f])) if (isKplexKey(k)) delete meta[f][k];
  }
  for (const p of NAMESPACE_NAME_FIELDS)
    visitPath(obj, p, (o, k) => typeof o[k] === 'string' && o[k] && (o[k] = hostRefOf(map, o[k] as string)));
  for (const p of NAMESPACE_LIST_FIELDS)
    visitPath(
      obj,
      p,
      (o, k) =>
        Array.isArray(o[k]) &&
        (o[k] = (o[k] as unknown[]).map((n) => (typeof n === 'string' ? hostRefOf(map, n) : n))),
    );
  for (const p of NAMESPACE_SELECTOR_FIELDS) {
    visitPath(obj, p, (o, k) => {
      if (!isObj(o[k])) return;
      const sel = o[k];
      sel['matchLabels'] = {
        ...(isObj(sel['matchLabels']) ? sel['matchLabels'] : {}),
        [LABEL_TENANT]: map.tenant,
        ...(map.tenantUid ? { [LABEL_TENANT_UID]: map.tenantUid } : {}),
      };
    });
  }
  // Pod templates: the same rules apply to the template's metadata keys.
  for (const p of METADATA_PATHS.slice(1)) {
    visitPath(obj, p, (o, k) => {
      const m = o[k];
      if (isObj(m))
        for (const f of ['labels', 'annotations'])
          if (isObj(m[f])) for (const key of Object.keys(m[f])) if (isKplexKey(key)) delete m[f][key];
    });
  }
}

/** kplex's own labels/annotations of a host object, by metadata path: what a tenant never sees. */
export type HostOnlyKeys = Map<string, Record<string, string>>;

export function hostOnlyKeys(hostObj: unknown): HostOnlyKeys {
  const kept: HostOnlyKeys = new Map();
  for (const p of METADATA_PATHS)
    visitPath(hostObj, p, (o, k) => {
      const m = o[k];
      if (!isObj(m)) return;
      for (const f of ['labels', 'annotations'])
        if (isObj(m[f]))
          for (const [key, v] of Object.entries(m[f]))
            if (isKplexKey(key) && typeof v === 'string') {
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
      if (!isObj(m)) return;
      const f = at.slice(dot + 1);
      m[f] = { ...(isObj(m[f]) ? m[f] : {}), ...keys };
    });
  }
}

/** Replaces every whole host namespace name of the tenant in `text` by its virtual name. */
export function textToVirtual(text: string, map: NamespaceMap): string {
  let out = text;
  for (const [h, v] of placeholdersOf(map.tenant)) if (out.includes(h)) out = out.split(h).join(v);
  for (const h of map.hostNames()) {
    if (!out.includes(h)) continue;
    out = out.replace(
      new RegExp(`(?<![a-z0-9-])${h.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![a-z0-9-])`, 'g'),
      map.virtualOf(h)!,
    );
  }
  return out;
}

/** A host namespace name back to the tenant's: recorded mappings, then placeholders this process handed out. */
function nsToVirtual(h: string, map: NamespaceMap): string {
  return map.virtualOf(h) ?? placeholdersOf(map.tenant).get(h) ?? h;
}

function metaToVirtual(meta: unknown, map: NamespaceMap): void {
  if (!isObj(meta)) return;
  if (typeof meta['namespace'] === 'string' && meta['namespace'])
    meta['namespace'] = nsToVirtual(meta['namespace'], map);
  delete meta['selfLink'];
  for (const f of ['labels', 'annotations']) {
    const m = meta[f];
    if (!isObj(m)) continue;
    for (const k of Object.keys(m)) if (isKplexKey(k)) delete m[k];
    if (Object.keys(m).length === 0) delete meta[f];
  }
  if (typeof meta['continue'] === 'string') delete meta['continue']; // list continue: re-issued by the caller
  if (Array.isArray(meta['managedFields']))
    for (const e of meta['managedFields'])
      if (isObj(e) && isObj(e['fieldsV1'])) dropKplexFields(e['fieldsV1']);
}

/** managedFields name every label key a manager set, kplex's hidden ones too (`f:kplex.io/...`). */
function dropKplexFields(set: Obj): void {
  for (const [k, v] of Object.entries(set)) {
    if (k.startsWith('f:') && isKplexKey(k.slice(2))) delete set[k];
    else if (isObj(v)) dropKplexFields(v);
  }
}

/** A host object (or Status, or Table row object) on its way to the tenant. */
export function objectToVirtual(obj: unknown, map: NamespaceMap): void {
  if (!isObj(obj)) return;
  tokenSecretToVirtual(obj, map); // before metadata.namespace turns virtual
  metaToVirtual(obj['metadata'], map);
  for (const p of NAMESPACE_NAME_FIELDS)
    visitPath(obj, p, (o, k) => typeof o[k] === 'string' && (o[k] = nsToVirtual(o[k] as string, map)));
  for (const p of NAMESPACE_LIST_FIELDS)
    visitPath(
      obj,
      p,
      (o, k) =>
        Array.isArray(o[k]) &&
        (o[k] = (o[k] as unknown[]).map((n) => (typeof n === 'string' ? nsToVirtual(n, map) : n))),
    );
  for (const p of NAMESPACE_SELECTOR_FIELDS) {
    visitPath(obj, p, (o, k) => {
      const sel = o[k];
      if (!isObj(sel) || !isObj(sel['matchLabels'])) return;
      delete sel['matchLabels'][LABEL_TENANT];
      delete sel['matchLabels'][LABEL_TENANT_UID];
      if (Object.keys(sel['matchLabels']).length === 0) delete sel['matchLabels'];
    });
  }
  for (const p of METADATA_PATHS.slice(1)) visitPath(obj, p, (o, k) => metaToVirtualKeysOnly(o[k]));
  for (const p of MESSAGE_FIELDS)
    visitPath(obj, p, (o, k) => typeof o[k] === 'string' && (o[k] = textToVirtual(o[k] as string, map)));
  if (obj['kind'] === 'Status' && isObj(obj['details']) && typeof obj['details']['name'] === 'string') {
    obj['details']['name'] = textToVirtual(obj['details']['name'], map);
  }
}

function metaToVirtualKeysOnly(meta: unknown): void {
  if (!isObj(meta)) return;
  for (const f of ['labels', 'annotations']) {
    const m = meta[f];
    if (isObj(m)) for (const k of Object.keys(m)) if (isKplexKey(k)) delete m[k];
  }
}

/** Any response body: object, list, Table, Status, PartialObjectMetadata(List). */
export function bodyToVirtual(body: unknown, map: NamespaceMap): void {
  if (!isObj(body)) return;
  if (body['kind'] === 'Table') {
    metaToVirtual(body['metadata'], map);
    for (const row of Array.isArray(body['rows']) ? body['rows'] : []) {
      if (!isObj(row)) continue;
      objectToVirtual(row['object'], map);
      if (Array.isArray(row['cells']))
        row['cells'] = row['cells'].map((c) => (typeof c === 'string' ? textToVirtual(c, map) : c));
    }
    return;
  }
  if (Array.isArray(body['items'])) {
    metaToVirtual(body['metadata'], map);
    for (const item of body['items']) objectToVirtual(item, map);
    return;
  }
  objectToVirtual(body, map);
}
