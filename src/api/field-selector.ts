// Field selectors as k8s.io/apimachinery/pkg/fields parses them: comma-separated terms
// `field=value`, `field==value`, `field!=value`, with `\` escaping `,`, `=`, `!` and `\`.
import { badRequest } from './status.js';

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export type FieldSelector = FieldRequirement[];

/** Splits on commas not escaped with a backslash. */
export function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === ',') {
      terms.push(cur);
      cur = '';
    } else cur += c;
  }
  terms.push(cur);
  return terms;
}

function unescape(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\') {
      const n = v[i + 1];
      if (n === undefined || !['\\', ',', '=', '!'].includes(n)) {
        throw badRequest(`invalid field selector: invalid escape sequence: \\${n ?? ''}`);
      }
      out += n;
      i++;
    } else if (c === ',' || c === '=') {
      throw badRequest(`invalid field selector: unescaped ${c}`);
    } else out += c;
  }
  return out;
}

/** Finds the first unescaped operator in a term. */
function findOp(term: string): { at: number; op: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    if (term[i] === '\\') {
      i++;
      continue;
    }
    for (const op of ['!=', '==', '=']) if (term.startsWith(op, i)) return { at: i, op };
  }
  return undefined;
}

export function parseFieldSelector(input: string): FieldSelector {
  if (input.trim() === '') return [];
  return splitTerms(input).map((term) => {
    const found = findOp(term);
    if (!found) throw badRequest(`invalid selector: '${input}'; can't understand '${term}'`);
    return {
      field: term.slice(0, found.at).trim(),
      op: found.op === '!=' ? '!=' : '=',
      value: unescape(term.slice(found.at + found.op.length)),
    };
  });
}

export function matchesFields(sel: FieldSelector, fields: Record<string, string>): boolean {
  return sel.every((r) => (r.op === '=' ? fields[r.field] === r.value : fields[r.field] !== r.value));
}

/** The value a selector requires exactly for `field`, if any (RequiresExactMatch). */
/** A value written into a selector term, as the apiserver's fields.EscapeValue. */
export function escapeFieldValue(v: string): string {
  return v.replace(/[\\,=]/g, (c) => `\\${c}`);
}
