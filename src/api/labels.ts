// Labels, as k8s.io/apimachinery: selectors in the full string syntax of pkg/labels (equality-
// and set-based: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`),
// metav1.LabelSelector objects (matching, LabelSelectorAsSelector validity), and the
// validation of labels and selectors of metav1/validation with its exact messages.
import { fieldErr } from './field-errors.js';
import { isQualifiedName, isValidLabelValue } from './name-validation.js';
import { isObject } from './object.js';
import { badRequest, type FieldError } from './status.js';

export type LabelOperator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  op: LabelOperator;
  values: string[];
}

export type LabelSelector = LabelRequirement[];

type Token = { kind: 'id' | 'op' | 'comma' | 'open' | 'close' | 'end'; text: string };

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const isIdChar = (c: string): boolean => !/[\s,()=!<>]/.test(c);
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === ',') {
      out.push({ kind: 'comma', text: c });
      i++;
    } else if (c === '(') {
      out.push({ kind: 'open', text: c });
      i++;
    } else if (c === ')') {
      out.push({ kind: 'close', text: c });
      i++;
    } else if (s.startsWith('==', i) || s.startsWith('!=', i)) {
      out.push({ kind: 'op', text: s.slice(i, i + 2) });
      i += 2;
    } else if (c === '=' || c === '!' || c === '<' || c === '>') {
      out.push({ kind: 'op', text: c });
      i++;
    } else {
      let j = i;
      while (j < s.length && isIdChar(s[j]!)) j++;
      out.push({ kind: 'id', text: s.slice(i, j) });
      i = j;
    }
  }
  out.push({ kind: 'end', text: '' });
  return out;
}

const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validateKey(key: string): void {
  const slash = key.split('/');
  const name = slash.length === 2 ? slash[1]! : slash[0]!;
  const prefixOk =
    slash.length === 1 || (slash.length === 2 && slash[0]!.length <= 253 && dnsSubdomain.test(slash[0]!));
  if (slash.length > 2 || !prefixOk || name.length > 63 || !qualifiedNamePart.test(name)) {
    throw badRequest(
      `unable to parse requirement: invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    );
  }
}

function validateValue(v: string): void {
  if (v !== '' && (v.length > 63 || !qualifiedNamePart.test(v))) {
    throw badRequest(
      `unable to parse requirement: invalid label value: "${v}": at key: must be no more than 63 characters; a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    );
  }
}

/** Parses a selector string; throws 400 BadRequest on syntax errors. Empty selects everything. */
export function parseLabelSelector(input: string): LabelSelector {
  const toks = tokenize(input);
  let p = 0;
  const peek = (): Token => toks[p]!;
  const next = (): Token => toks[p++]!;
  const fail = (what: string): never => {
    throw badRequest(`unable to parse requirement: found '${peek().text}', expected: ${what}`);
  };
  const reqs: LabelSelector = [];
  if (peek().kind === 'end') return reqs;
  for (;;) {
    let negated = false;
    if (peek().kind === 'op' && peek().text === '!') {
      next();
      negated = true;
    }
    if (peek().kind !== 'id') fail('identifier');
    const key = next().text;
    validateKey(key);
    if (negated) {
      reqs.push({ key, op: '!', values: [] });
    } else {
      const t = peek();
      if (t.kind === 'comma' || t.kind === 'end') {
        reqs.push({ key, op: 'exists', values: [] });
      } else if (t.kind === 'op') {
        next();
        const op: LabelOperator =
          t.text === '=' || t.text === '=='
            ? '='
            : t.text === '!='
              ? '!='
              : t.text === '>'
                ? 'gt'
                : t.text === '<'
                  ? 'lt'
                  : fail('=, !=, in, notin, >, <');
        let value = '';
        if (peek().kind === 'id') value = next().text;
        else if (op === 'gt' || op === 'lt') fail('integer');
        if ((op === 'gt' || op === 'lt') && !/^-?\d+$/.test(value)) {
          throw badRequest(
            `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`,
          );
        }
        validateValue(value);
        reqs.push({ key, op, values: [value] });
      } else if (t.kind === 'id' && (t.text === 'in' || t.text === 'notin')) {
        next();
        if (next().kind !== 'open') fail("'('");
        const values: string[] = [];
        for (;;) {
          if (peek().kind === 'id') {
            values.push(next().text);
          } else if (peek().kind === 'comma' || peek().kind === 'close') {
            values.push('');
          } else fail('value');
          if (peek().kind === 'comma') {
            next();
            continue;
          }
          if (peek().kind === 'close') {
            next();
            break;
          }
          fail("',' or ')'");
        }
        values.forEach(validateValue);
        reqs.push({ key, op: t.text as 'in' | 'notin', values: [...new Set(values)].sort() });
      } else {
        fail('=, !=, in, notin, >, <');
      }
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (sep.kind !== 'comma') {
      p--;
      fail("','");
    }
  }
  return reqs;
}

export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return sel.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case '=':
        return has && v === r.values[0];
      case '!=':
        return !has || v !== r.values[0];
      case 'in':
        return has && r.values.includes(v!);
      case 'notin':
        return !has || !r.values.includes(v!);
      case 'exists':
        return has;
      case '!':
        return !has;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v!)) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        return r.op === 'gt' ? n > bound : n < bound;
      }
    }
  });
}

/** metav1.LabelSelector: matchLabels AND matchExpressions. */
export interface LabelSelectorShape {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Whether labels match a metav1.LabelSelector (an unknown operator matches nothing). */
export function selectorMatches(
  sel: LabelSelectorShape,
  labels: Record<string, string> | undefined,
): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const present = Object.prototype.hasOwnProperty.call(l, e.key);
    switch (e.operator) {
      case 'In':
        if (!present || !(e.values ?? []).includes(l[e.key]!)) return false;
        break;
      case 'NotIn':
        if (present && (e.values ?? []).includes(l[e.key]!)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** metav1.LabelSelectorAsSelector validity: operators and their values. */
export function selectorErrors(sel: LabelSelectorShape): string[] {
  const errs: string[] = [];
  for (const e of sel.matchExpressions ?? []) {
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator))
      errs.push(`"${e.operator}" is not a valid label selector operator`);
  }
  return errs;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const asArray = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/** metav1validation.ValidateLabels: qualified-name keys, label values. */
export function validateLabels(labels: unknown, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isObject(labels)) return errs;
  for (const [k, v] of Object.entries(labels)) {
    for (const m of isQualifiedName(k)) errs.push(fieldErr.invalid(fld, k, m));
    for (const m of isValidLabelValue(str(v))) errs.push(fieldErr.invalid(fld, str(v), m));
  }
  return errs;
}

/** metav1validation.ValidateLabelSelector (webhooks, admission policies' match resources). */
export function validateLabelSelector(sel: unknown, fld: string): FieldError[] {
  if (!isObject(sel)) return [];
  const errs: FieldError[] = [...validateLabels(sel['matchLabels'], `${fld}.matchLabels`)];
  asArray<{ key?: string; operator?: string; values?: string[] }>(sel['matchExpressions']).forEach((r, i) => {
    const f = `${fld}.matchExpressions[${i}]`;
    const values = asArray<string>(r.values);
    switch (r.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0)
          errs.push(fieldErr.required(`${f}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0)
          errs.push(
            fieldErr.forbidden(
              `${f}.values`,
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        break;
      default:
        errs.push(fieldErr.invalid(`${f}.operator`, r.operator ?? '', 'not a valid selector operator'));
    }
    for (const msg of isQualifiedName(r.key ?? '')) errs.push(fieldErr.invalid(`${f}.key`, r.key ?? '', msg));
    values.forEach((v, j) => {
      for (const msg of isValidLabelValue(v)) errs.push(fieldErr.invalid(`${f}.values[${j}]`, v, msg));
    });
  });
  return errs;
}
