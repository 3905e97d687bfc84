// LIST semantics: selectors, limit/continue with the apiserver's continue token,
// resourceVersion / resourceVersionMatch and their errors, remainingItemCount.
import { fieldErr } from '../api/field-errors.js';
import type { KubeList, KubeObject } from '../api/object.js';
import type { ListResult } from '../store/types.js';
import { decodeContinue, encodeContinue } from '../api/continue-token.js';
import {
  type FieldError,
  type StatusError,
  badRequest,
  gone,
  invalid,
  statusFailure,
} from '../api/status.js';
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
      errs.push(
        fieldErr.forbidden(f, 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'),
      );
    }
    if (match) {
      if (o.sendInitialEvents === undefined) {
        errs.push(
          fieldErr.forbidden(
            f,
            'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
          ),
        );
      }
      if (match !== 'NotOlderThan') {
        errs.push(fieldErr.notSupported(f, match, ['NotOlderThan']));
      }
      if (o.continue)
        errs.push(fieldErr.forbidden(f, 'resourceVersionMatch is forbidden when continue is provided'));
    }
  } else {
    if (match) {
      if (!o.resourceVersion)
        errs.push(
          fieldErr.forbidden(f, 'resourceVersionMatch is forbidden unless resourceVersion is provided'),
        );
      if (o.continue)
        errs.push(fieldErr.forbidden(f, 'resourceVersionMatch is forbidden when continue is provided'));
      if (match !== 'Exact' && match !== 'NotOlderThan') {
        errs.push(fieldErr.notSupported(f, match, ['Exact', 'NotOlderThan', '']));
      }
      if (match === 'Exact' && o.resourceVersion === '0') {
        errs.push(fieldErr.forbidden(f, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
      }
    }
    if (o.sendInitialEvents !== undefined) {
      errs.push(fieldErr.forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
    }
  }
  if (errs.length > 0) throw invalid(listOptionsKind, '', errs);
}

export function parseResourceVersion(rv: string | undefined): number | undefined {
  if (rv === undefined || rv === '') return undefined;
  if (!/^\d+$/.test(rv)) {
    throw badRequest(
      `invalid resource version: resourceVersion: Invalid value: "${rv}": strconv.ParseUint: parsing "${rv}": invalid syntax`,
    );
  }
  return Number(rv);
}

export function tooLargeResourceVersion(requested: number, current: number): StatusError {
  return statusFailure(
    504,
    'Timeout',
    `Timeout: Too large resource version: ${requested}, current: ${current}`,
    {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    },
  );
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

/** What a LIST reads: validated options turned into a store scan. */
interface ListPlan {
  pred: Predicate;
  ns: string | undefined;
  limit: number | undefined;
  after: string | undefined;
  atMostRV: number | undefined;
  listRV: number | undefined;
}

function planList(reg: VirtualRegistry, namespace: string, o: ListOptions): ListPlan {
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
        (err.status.metadata as Record<string, string>)['continue'] = encodeContinue({
          rv: -1,
          start: token.start,
        });
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
  return { pred, ns, limit, after, atMostRV, listRV };
}

/** Receives a streamed LIST: `begin` once the first page is read (errors before it are plain Status answers), then each item. */
export interface ListSink {
  begin(): void;
  /** Before each page: resolves with a release once the caller may run the page's CPU work. */
  turn?(): Promise<() => void>;
  /** Writes one item; returns (or resolves with, once the client can take more) the bytes it took. */
  item(obj: KubeObject): number | Promise<number>;
  /** Writes one item given as its served JSON text (sinks that encode items as JSON objects); returns the bytes it took. */
  itemJSON?(json: string): number;
  /** After each page (its turn released): resolves once the client can take more. */
  flush?(): Promise<void>;
}

/** Bytes of items read from the store at a time while streaming: bounds memory whatever the objects' sizes. */
const streamPageBytes = 256 * 1024;
const maxStreamPage = 500;

/**
 * A LIST streamed item by item: pages are read from one store snapshot, sized so each holds about
 * `streamPageBytes`, and the next page is read only after the client took the previous one.
 * Returns the list's metadata (resourceVersion, continue, remainingItemCount).
 */
export async function streamList(
  reg: VirtualRegistry,
  namespace: string,
  o: ListOptions,
  sink: ListSink,
): Promise<KubeList['metadata']> {
  const p = planList(reg, namespace, o);
  const store = reg.store;
  let cursor = p.after;
  let atMostRV = p.atMostRV;
  let found = 0;
  let last: string | undefined;
  let remaining: number | undefined;
  let rv: number | undefined;
  for (let first = true; ; first = false) {
    const want = p.limit ? Math.min(p.limit - found, maxStreamPage) : maxStreamPage;
    const release = await sink.turn?.();
    let page: ListResult;
    try {
      page = store.list({
        group: reg.info.group,
        resource: reg.info.resource,
        namespace: p.ns,
        after: cursor,
        limit: want,
        atMostRV,
        maxBytes: streamPageBytes,
      });
      // Later pages read the first page's snapshot, so the stream is one consistent list.
      rv ??= page.rv;
      atMostRV ??= page.rv;
      if (first) sink.begin();
      for (const s of page.items) {
        last = `${s.key.namespace}/${s.key.name}`;
        if (!p.pred.empty && !p.pred.matches(s.object)) continue;
        found++;
        // Served as stored when nothing changes it: no decode and encode of (maybe megabytes of) JSON.
        const asStored = sink.itemJSON && s.json !== undefined ? reg.servedAsStored(s.json) : undefined;
        const took =
          asStored !== undefined ? sink.itemJSON!(asStored) : sink.item(reg.withTypeMeta(s.object));
        if (typeof took !== 'number') await took;
      }
    } finally {
      release?.();
    }
    remaining = page.remaining;
    if (!page.last) {
      last = undefined;
      break;
    }
    if (p.limit && found >= p.limit) break;
    cursor = page.last;
    await sink.flush?.();
  }
  return listMetadata(reg, namespace, p, p.listRV ?? rv, last, remaining);
}

function listMetadata(
  reg: VirtualRegistry,
  namespace: string,
  p: ListPlan,
  resultRV: number,
  last: string | undefined,
  remaining: number | undefined,
): KubeList['metadata'] {
  const metadata: KubeList['metadata'] = { resourceVersion: String(resultRV) };
  if (p.limit && last && (remaining ?? 1) > 0) {
    metadata.continue = encodeContinue({ rv: resultRV, start: startKey(reg, namespace, last) });
    if (p.pred.empty && remaining !== undefined) metadata.remainingItemCount = remaining;
  }
  return metadata;
}

export function list(reg: VirtualRegistry, namespace: string, o: ListOptions): KubeList {
  const p = planList(reg, namespace, o);
  const { pred, ns, limit } = p;
  const store = reg.store;
  const atMostRV = p.atMostRV;
  const items: KubeObject[] = [];
  let cursor = p.after;
  let last: string | undefined;
  let remaining: number | undefined;
  let rv: number;
  // Fill the page from the store until `limit` matching items are found, as etcd3's list loop does.
  for (;;) {
    const page = store.list({
      group: reg.info.group,
      resource: reg.info.resource,
      namespace: ns,
      after: cursor,
      limit: limit ? limit - items.length : undefined,
      atMostRV,
    });
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
  const metadata = listMetadata(reg, namespace, p, p.listRV ?? rv, last, remaining);
  return { apiVersion: reg.apiVersion, kind: reg.info.listKind, metadata, items };
}
