// Plain JSON values as the patch engine handles them, with the helpers that make them behave like
// Go's unstructured maps (deep equality, key-sorted encoding, %q quoting).
import { clonePlain } from '../api/object.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonMap;
export interface JsonMap {
  [k: string]: JsonValue;
}

export function isMap(v: unknown): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepClone<T>(v: T): T {
  return clonePlain(v);
}

/** Go's strings.Compare: byte order of UTF-8, i.e. code point order (JS `<` compares UTF-16 units). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1; // a surrogate (astral code point) sorts after any BMP unit
    return ca < cb ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

/** Go's encoding/json string encoding (HTML-safe: <, >, & and U+2028/9 escaped). */
export function goJSONString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029)
      out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** Go's encoding/json of an unstructured value: map keys sorted, compact. */
export function goJSON(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goJSONString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return '[' + v.map(goJSON).join(',') + ']';
  const m = v as Record<string, unknown>;
  const keys = Object.keys(m).sort(compareStrings);
  return '{' + keys.map((k) => goJSONString(k) + ':' + goJSON(m[k])).join(',') + '}';
}

/** Go's %q (strconv.Quote) for the strings found in field paths. */
export function goQuote(s: string): string {
  const named: Record<string, string> = {
    '\x07': '\\a',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\v': '\\v',
    '"': '\\"',
    '\\': '\\\\',
  };
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (named[ch] !== undefined) out += named[ch];
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

/** Go's %v of a JSON value's dynamic type name, as reflect prints it in merge errors. */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'object') return 'map[string]interface {}';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  return Number.isInteger(v) ? 'int64' : 'float64';
}

/** Go's fmt %v of an unstructured value (maps print as map[k:v ...] with sorted keys). */
export function goFormatV(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[' + v.map(goFormatV).join(' ') + ']';
  if (typeof v === 'object') {
    const m = v as Record<string, unknown>;
    const keys = Object.keys(m).sort(compareStrings);
    return 'map[' + keys.map((k) => `${k}:${goFormatV(m[k])}`).join(' ') + ']';
  }
  return String(v);
}
