// Table cells for a CRD's additionalPrinterColumns, as the apiserver's tableconvertor computes
// them: the JSONPath subset kubectl uses, the first result only, typed by the column type; dates
// become human durations ("5m") as metatable.ConvertToHumanReadableDateType does.
import { isObject } from '../api/object.js';
import type { PrinterColumn } from '../resources/types.js';

type Step =
  | { field: string }
  | { index: number | '*' }
  | { filter: { path: string[]; op: string; value: unknown } | { path: string[] } };

/** Parses `{.a.b[0]}`, `.a['b.c'][*]`, `.a[?(@.type=="Ready")].status`. */
export function parseJSONPath(expr: string): Step[] {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '.') {
      i++;
      if (s[i] === '.') throw new Error('recursive descent is not supported');
      let j = i;
      while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
      if (j > i) steps.push({ field: s.slice(i, j) });
      i = j;
    } else if (c === '[') {
      const end = findClose(s, i);
      const inner = s.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') steps.push({ index: '*' });
      else if (/^-?\d+$/.test(inner)) steps.push({ index: Number(inner) });
      else if (/^['"].*['"]$/.test(inner)) steps.push({ field: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')'))
        steps.push({ filter: parseFilter(inner.slice(2, -1).trim()) });
      else throw new Error(`unsupported JSONPath segment [${inner}]`);
    } else if (c === '@' || c === '$') i++;
    else {
      let j = i;
      while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
      steps.push({ field: s.slice(i, j) });
      i = j;
    }
  }
  return steps;
}

function findClose(s: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return i;
  }
  throw new Error(`unterminated [ in ${s}`);
}

function parseFilter(f: string): { path: string[]; op: string; value: unknown } | { path: string[] } {
  const m = /^@((?:\.[^.=!<>\s]+)+)\s*(==|!=|<=|>=|<|>)\s*(.+)$/.exec(f);
  if (!m) {
    const e = /^@((?:\.[^.=!<>\s]+)+)$/.exec(f);
    if (e) return { path: e[1]!.slice(1).split('.') };
    throw new Error(`unsupported JSONPath filter ${f}`);
  }
  const raw = m[3]!.trim();
  const value = /^['"].*['"]$/.test(raw)
    ? raw.slice(1, -1)
    : raw === 'true'
      ? true
      : raw === 'false'
        ? false
        : Number(raw);
  return { path: m[1]!.slice(1).split('.'), op: m[2]!, value };
}

function get(v: unknown, path: string[]): unknown {
  let cur = v;
  for (const p of path) {
    if (!isObject(cur) || !(p in cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

function matches(x: unknown, f: { path: string[]; op?: string; value?: unknown }): boolean {
  const v = get(x, f.path);
  if (f.op === undefined) return v !== undefined;
  if (v === undefined) return false;
  switch (f.op) {
    case '==':
      return v === f.value;
    case '!=':
      return v !== f.value;
    case '<':
      return (v as number) < (f.value as number);
    case '>':
      return (v as number) > (f.value as number);
    case '<=':
      return (v as number) <= (f.value as number);
    default:
      return (v as number) >= (f.value as number);
  }
}

/** All values `expr` selects in `obj`, in document order. */
export function findResults(obj: unknown, expr: string): unknown[] {
  let cur: unknown[] = [obj];
  for (const step of parseJSONPath(expr)) {
    const next: unknown[] = [];
    for (const v of cur) {
      if ('field' in step) {
        if (isObject(v) && step.field in v) next.push(v[step.field]);
      } else if ('index' in step) {
        if (!Array.isArray(v)) continue;
        if (step.index === '*') next.push(...v);
        else {
          const i = step.index < 0 ? v.length + step.index : step.index;
          if (i >= 0 && i < v.length) next.push(v[i]);
        }
      } else if (Array.isArray(v)) next.push(...v.filter((x) => matches(x, step.filter)));
    }
    cur = next;
  }
  return cur;
}

/** duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    return dy === 0 ? `${Math.trunc(hours / 24 / 365)}y` : `${Math.trunc(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

export type Cell = string | number | boolean | null;

/** jsonpath PrintResults of one value: strings raw, everything else as JSON. */
const printValue = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** cellForJSONValue: a typed cell, or null when the value does not fit the column type. */
function cellFor(type: string, v: unknown, now: number): Cell {
  switch (type) {
    case 'integer':
      return typeof v === 'number' ? Math.trunc(v) : null;
    case 'number':
      return typeof v === 'number' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    case 'string':
      return typeof v === 'string' ? v : null;
    case 'date': {
      if (typeof v !== 'string') return null;
      const t = Date.parse(v);
      if (Number.isNaN(t)) return '<invalid>';
      return humanDuration(now - t);
    }
  }
  return null;
}

/** The cells of `obj` for `columns` (Name and Age excluded), as the apiserver's Table rows carry them. */
export function printerCells(columns: PrinterColumn[], obj: unknown, now = Date.now()): Cell[] {
  return columns.map((col) => {
    let results: unknown[];
    try {
      results = findResults(obj, col.jsonPath);
    } catch {
      return null;
    }
    if (results.length === 0) return col.zero ?? null;
    const value = results[0];
    if (col.type === 'string') return value === undefined ? null : printValue(value);
    return cellFor(col.type, value, now);
  });
}
