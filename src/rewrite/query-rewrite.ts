// Query parameters on their way to the host: field selectors naming namespaces get host names.
// Everything else passes as the client sent it (continue is handled by the list code).
import type { NamespaceMap } from './namespace-map.js';
import { hostRefOf } from './placeholders.js';

/** Field selector keys whose value is a namespace name. */
const NAMESPACE_SELECTOR_KEYS = new Set([
  'metadata.namespace',
  'involvedObject.namespace',
  'regarding.namespace',
]);

/** Splits on commas not escaped with a backslash (fields.ParseSelector). */
function terms(sel: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < sel.length; i++) {
    const ch = sel[i]!;
    if (ch === '\\' && i + 1 < sel.length) {
      cur += ch + sel[i + 1];
      i++;
    } else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function fieldSelectorToHost(sel: string, map: NamespaceMap): string {
  return terms(sel)
    .map((t) => {
      const m = /^\s*([^!=\s]+)\s*(!=|==|=)(.*)$/.exec(t);
      if (!m || !NAMESPACE_SELECTOR_KEYS.has(m[1]!)) return t;
      const value = m[3]!.trim();
      return `${m[1]}${m[2]}${value ? hostRefOf(map, value) : value}`;
    })
    .join(',');
}

/** A copy of the query for the host: selectors rewritten, `continue` dropped (re-added by the caller). */
export function queryToHost(q: URLSearchParams, map: NamespaceMap): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of q) {
    if (k === 'continue') continue;
    out.append(k, k === 'fieldSelector' ? fieldSelectorToHost(v, map) : v);
  }
  return out;
}
