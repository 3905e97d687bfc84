// Whether a tenant's watch can be served from a shared host watch, and how: its query parsed into
// the cache's terms. Anything the cache cannot answer exactly as the host would (other field
// selectors, a watch-list needing a consistent read, unparseable values) is left to the
// per-namespace fan-out, whose host answers with its own errors.
import { type FieldSelector, parseFieldSelector } from '../api/field-selector.js';
import { type LabelSelector, parseLabelSelector } from '../api/labels.js';
import type { Negotiated } from '../handlers/negotiate.js';
import type { CacheFormat } from '../hostwatch/formats.js';
import { NOT_SHARED } from './shared-watch-data.js';

/** Fields the cache matches in-process (every kind has them; other fields only the host knows). */
const CACHE_FIELDS = new Set(['metadata.name', 'metadata.namespace']);

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface SharedWatchPlan {
  format: CacheFormat;
  /** undefined: the current state as ADDED events first. */
  from: number | undefined;
  /**
   * A watch-list: the state (of a version not older than `from`), then one bookmark marking the
   * end of the initial events.
   */
  initialEventsEnd: boolean;
  bookmarks: boolean;
  timeoutSeconds: number;
  labels: LabelSelector;
  /** Over the tenant's view: metadata.namespace is the virtual namespace. */
  fields: FieldSelector;
  includeObject: IncludeObject;
}

const DIGITS = /^\d{1,19}$/;

export function sharedWatchPlan(
  groupResource: string,
  q: URLSearchParams,
  out: Negotiated,
): SharedWatchPlan | undefined {
  if (NOT_SHARED[groupResource] !== undefined || out.kind === 'yaml') return undefined;
  const one = (k: string): string | undefined => {
    const all = q.getAll(k);
    return all.length ? all[0] : undefined;
  };
  const rv = one('resourceVersion') ?? '';
  if (rv !== '' && !DIGITS.test(rv)) return undefined;
  const match = one('resourceVersionMatch') ?? '';
  const sie = one('sendInitialEvents');
  let labels: LabelSelector;
  let fields: FieldSelector;
  try {
    labels = parseLabelSelector(one('labelSelector') ?? '');
    fields = parseFieldSelector(one('fieldSelector') ?? '');
  } catch {
    return undefined;
  }
  if (fields.some((f) => !CACHE_FIELDS.has(f.field))) return undefined;
  const timeout = one('timeoutSeconds');
  if (timeout !== undefined && !/^\d{1,9}$/.test(timeout)) return undefined;
  const include = one('includeObject') ?? 'Metadata';
  if (include !== 'None' && include !== 'Metadata' && include !== 'Object') return undefined;
  const from: number | undefined = rv === '' || rv === '0' ? undefined : Number(rv);
  let initialEventsEnd = false;
  if (sie === 'true') {
    // A watch-list from "" is a consistent read of the host: the host's (fan-out) to answer. One
    // from a version is served from the cache's state once the cache has reached it.
    if (match !== 'NotOlderThan' || rv === '') return undefined;
    initialEventsEnd = true;
  } else if (match !== '' || (sie !== undefined && sie !== 'false')) return undefined;
  return {
    format: out.kind === 'table' ? 'table' : 'object',
    from,
    initialEventsEnd,
    bookmarks: one('allowWatchBookmarks') === 'true',
    timeoutSeconds: timeout === undefined ? 0 : Number(timeout),
    labels,
    fields,
    includeObject: include,
  };
}
