// Query parameters on their way to the host: field selectors naming namespaces get host names
// (the translator), label selectors are judged without kplex's own labels.
// Everything else passes as the client sent it (continue is handled by the list code).
import { type NamespaceMap, fieldSelectorToHost } from './namespace-translator.js';
import { isKplexKey } from './object-rewrite.js';

/** A requirement no object can meet (one key, two values): what a selector needing kplex's labels matches. */
const NOTHING = 'kplex.io/none=a,kplex.io/none=b';

/** Splits a label selector on the commas outside `in (...)` value sets. */
function labelTerms(sel: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of sel) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ',' && depth <= 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/**
 * kplex's own labels are never on a tenant's objects (they are stripped on write and hidden on
 * read), so a selector is judged as if they were absent: a term requiring one matches nothing,
 * a term excluding one (`!k`, `k!=v`, `k notin (...)`) matches everything. The host's hidden
 * labels can then never be probed through selectors.
 */
export function labelSelectorToHost(sel: string): string {
  const kept: string[] = [];
  for (const t of labelTerms(sel)) {
    const m = /^\s*(!?)\s*([^\s!=<>(),]+)\s*(.*)$/s.exec(t);
    if (!m || !isKplexKey(m[2]!)) {
      kept.push(t);
      continue;
    }
    const rest = m[3]!;
    if (m[1] || rest.startsWith('!=') || /^notin\b/.test(rest)) continue;
    return NOTHING;
  }
  return kept.join(',');
}

/** A copy of the query for the host: selectors rewritten, `continue` dropped (re-added by the caller). */
export function queryToHost(q: URLSearchParams, map: NamespaceMap): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of q) {
    if (k === 'continue') continue;
    if (k === 'labelSelector') {
      const sel = labelSelectorToHost(v);
      if (sel.trim()) out.append(k, sel);
    } else out.append(k, k === 'fieldSelector' ? fieldSelectorToHost(v, map) : v);
  }
  return out;
}
