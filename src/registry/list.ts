// LIST semantics: selectors, limit/continue with the apiserver's continue token,
// resourceVersion / resourceVersionMatch and their errors, remainingItemCount.
import type { KubeList, KubeObject } from '../api/object.js';
import { decodeContinue, encodeContinue } from '../api/continue-token.js';
import { type FieldError, type StatusError, badRequest, gone, invalid, statusFailure } from '../api/status.js';
import type { ListOptions } from './options.js';
import type { VirtualRegistry } from './registry.js';
import { type Predicate, buildPredicate } from './selection.js';

export const listExpiredMsg = 'The resourceVersion for the provided list is too old.';
export const inconsistentContinueMsg =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

const listOptionsKind = { group: 'meta.k8s.io', kind: 'ListOptions' };

/** metainternalversion validation.ValidateListOptions (list and watch). */
export function validateListOptions(o: ListOptions): void {
  const errs: FieldError[] = [];
  const match = o.resourceVersionMatch;
  const f = 'resourceVersionMatch';
  if (o.watch) {
    if (o.sendInitialEvents !== undefined && match !== 'NotOlderThan') {
      errs.push({ type: 'FieldValueForbidden', field: f, detail: 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan' });
    }
    if (match) {
      if (o.sendInitialEvents === undefined) {
        errs.push({ type: 'FieldValueForbidden', field: f, detail: 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided' });
      }
      if (match !== 'NotOlderThan') {
        errs.push({ type: 'FieldValueNotSupported', field: f, value: match, detail: 'supported values: "NotOlderThan"' });
      }
      if (o.continue) errs.push({ type: 'FieldValueForbidden', field: f, detail: 'resourceVersionMatch is forbidden when continue is provided' });
    }
  } else {
    if (match) {
      if (!o.resourceVersion) errs.push({ type: 'FieldValueForbidden', field: f, detail: 'resourceVersionMatch is forbidden unless resourceVersion is provided' });
      if (o.continue) errs.push({ type: 'FieldValueForbidden', field: f, detail: 'resourceVersionMatch is forbidden when continue is provided' });
      if (match !== 'Exact' && match !== 'NotOlderThan') {
        errs.push({ type: 'FieldValueNotSupported', field: f, value: match, detail: 'supported values: "Exact", "NotOlderThan", ""' });
      }
      if (match === 'Exact' && o.resourceVersion === '0') {
        errs.push({ type: 'FieldValueForbidden', field: f, detail: 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"' });
      }
    }
    if (o.sendInitialEvents !== undefined) {
      errs.push({ type: 'FieldValueForbidden', field: 'sendInitialEvents', detail: 'sendInitialEvents is forbidden for list' });
    }
  }
  if (errs.length > 0) throw invalid(listOptionsKind, '', errs);
}

export function parseResourceVersion(rv: string | undefined): number | undefined {
  if (rv === undefined || rv === '') return undefined;
  if (!/^\d+$/.test(rv)) {
    throw badRequest(`invalid resource version: resourceVersion: Invalid value: "${rv}": strconv.ParseUint: parsing "${rv}": invalid syntax`);
  }
  return Number(rv);
}

export function tooLargeResourceVersion(requested: number, current: number): StatusError {
  return statusFailure(504, 'Timeout', `Timeout: Too large resource version: ${requested}, current: ${current}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
}

export function predicateFor(reg: VirtualRegistry, o: ListOptions): Predicate {
  const s = reg.strategy;
  const names = s.selectableFieldNames?.() ?? Object.keys(s.selectableFields({ metadata: {} }));
  return buildPredicate(o.labelSelector, o.fieldSelector, s, reg.info.namespaced, names);
}

/** The `after` key of the store for a continue token's start key. */
function afterKey(reg: VirtualRegistry, namespace: string, start: string): string {
  if (!reg.info.namespaced) return `/${start}`;
  return namespace ? `${namespace}/${start}` : start;
}

function startKey(reg: VirtualRegistry, namespace: string, storeKey: string): string {
  if (!reg.info.namespaced) return storeKey.replace(/^\//, '');
  return namespace ? storeKey.slice(namespace.length + 1) : storeKey;
}

export function list(reg: VirtualRegistry, namespace: string, o: ListOptions): KubeList {
  validateListOptions(o);
  const pred = predicateFor(reg, o);
  const store = reg.store;
  const ns = reg.info.namespaced && namespace ? namespace : undefined;
  const requested = parseResourceVersion(o.resourceVersion);
  let atMostRV: number | undefined;
  let after: string | undefined;
  let listRV: number | undefined;
  if (o.continue) {
    const token = decodeContinue(o.continue);
    if (token.rv > 0) {
      if (token.rv < store.oldestWatchableRV()) {
        const err = gone(inconsistentContinueMsg);
        (err.status.metadata as Record<string, string>)['continue'] = encodeContinue({ rv: -1, start: token.start });
        throw err;
      }
      atMostRV = token.rv;
      listRV = token.rv;
    }
    after = afterKey(reg, namespace, token.start);
  } else if (requested !== undefined && requested !== 0) {
    const current = store.currentRV();
    if (requested > current) throw tooLargeResourceVersion(requested, current);
    if (o.resourceVersionMatch === 'Exact') {
      if (requested < store.oldestWatchableRV()) throw gone(listExpiredMsg);
      // Served from current state when nothing of this resource changed after `requested`.
      atMostRV = requested;
      listRV = requested;
    }
  }
  const limit = o.limit && o.limit > 0 ? o.limit : undefined;
  const items: KubeObject[] = [];
  let cursor = after;
  let last: string | undefined;
  let remaining: number | undefined;
  let rv: number;
  // Fill the page from the store until `limit` matching items are found, as etcd3's list loop does.
  for (;;) {
    const page = store.list({ group: reg.info.group, resource: reg.info.resource, namespace: ns, after: cursor, limit: limit ? limit - items.length : undefined, atMostRV });
    rv = page.rv;
    for (const s of page.items) {
      // Listed objects are the caller's own copies (TenantStore.list): copying again cost more
      // than the SQLite read and JSON decode together (measured, bench/).
      if (pred.matches(s.object)) items.push(reg.withTypeMeta(s.object));
      last = `${s.key.namespace}/${s.key.name}`;
    }
    remaining = page.remaining;
    if (!limit || !page.last || items.length >= limit) {
      if (!page.last) last = undefined;
      break;
    }
    cursor = page.last;
  }
  const resultRV = listRV ?? rv;
  const metadata: KubeList['metadata'] = { resourceVersion: String(resultRV) };
  if (limit && last && (remaining ?? 1) > 0) {
    metadata.continue = encodeContinue({ rv: resultRV, start: startKey(reg, namespace, last) });
    if (pred.empty && remaining !== undefined) metadata.remainingItemCount = remaining;
  }
  return { apiVersion: reg.apiVersion, kind: reg.info.listKind, metadata, items };
}
