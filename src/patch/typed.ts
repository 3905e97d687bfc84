// Schema-aware walks over JSON values, after structured-merge-diff/v4/typed: the field set of a
// value (ToFieldSet), the difference of two values (Compare), the apply merge (Merge), removal of
// a set of fields (RemoveItems), named-field completion and validation of an applied config.
// `undefined` is an absent value; `null` is an explicit JSON null.
import { isDeepStrictEqual } from 'node:util';
import { goNumber, goSharpV } from '../api/field-errors.js';
import {
  FieldSet,
  keyPE,
  pathToString,
  peToString,
  serializePE,
  type Path,
  type PathElement,
} from './fieldpath.js';
import { isMap, type JsonMap, type JsonValue } from './json-value.js';
import { deducedAtom, type Atom, type ListAtom, type MapAtom } from './smd-schema.js';

type V = JsonValue | undefined;
type Kind = 'map' | 'scalar' | 'list';

const emptyAtom: Atom = {};

/** deduceAtom + handleAtom: which handler a value goes to. */
function kindOf(atom: Atom, v: V): Kind | undefined {
  if (v !== undefined && v !== null) {
    if (Array.isArray(v)) {
      if (atom.list) return 'list';
    } else if (isMap(v)) {
      if (atom.map) return 'map';
    } else if (atom.scalar) return 'scalar';
  }
  return atom.map ? 'map' : atom.scalar ? 'scalar' : atom.list ? 'list' : undefined;
}

/** Type of a map entry: declared field, else the element type (lenient: deduced when closed). */
function entryType(m: MapAtom, key: string, lenient = true): Atom | undefined {
  const f = m.field(key);
  if (f) return f.type();
  if (m.elem) return m.elem();
  return lenient ? deducedAtom : undefined;
}

const asList = (v: V): JsonValue[] | undefined => (Array.isArray(v) ? v : undefined);
const asMap = (v: V): JsonMap | undefined => (isMap(v) ? v : undefined);

/** listItemToPathElement */
export function listItemPE(list: ListAtom, item: JsonValue): PathElement {
  if (list.relationship !== 'associative') throw new Error('invalid indexing of non-associative list');
  if (list.keys.length > 0) {
    if (item === null) throw new Error('associative list with keys may not have a null element');
    if (!isMap(item)) throw new Error('associative list with keys may not have non-map elements');
    const elemMap = list.elem().map;
    const fields: [string, JsonValue][] = [];
    for (const name of list.keys) {
      if (Object.prototype.hasOwnProperty.call(item, name)) {
        fields.push([name, item[name]!]);
        continue;
      }
      const def = elemMap?.field(name)?.default;
      if (def === undefined || def === null)
        throw new Error(
          `associative list with keys has an element that omits key field "${name}" (and doesn't have default value)`,
        );
      fields.push([name, def as JsonValue]);
    }
    return keyPE(fields);
  }
  if (isMap(item)) throw new Error("associative list without keys has an element that's a map type");
  if (Array.isArray(item)) throw new Error('not supported: associative list with lists as elements');
  if (item === null) throw new Error("associative list without keys has an element that's an explicit null");
  return { value: item };
}

function tryPE(list: ListAtom, item: JsonValue): PathElement | undefined {
  try {
    return listItemPE(list, item);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- ToFieldSet

export function toFieldSet(v: JsonValue, atom: Atom): FieldSet {
  const set = new FieldSet();
  fieldSetWalk(v, atom, [], set);
  return set;
}

function fieldSetWalk(v: V, atom: Atom, path: Path, set: FieldSet): void {
  switch (kindOf(atom, v)) {
    case 'scalar':
      set.insert(path);
      return;
    case 'list': {
      const t = atom.list!;
      if (t.relationship === 'atomic') {
        set.insert(path);
        return;
      }
      const list = asList(v);
      if (!list) return;
      const seen = new Set<string>();
      const dups = new Set<string>();
      for (const item of list) {
        const pe = tryPE(t, item);
        if (!pe) continue;
        const k = serializePE(pe);
        if (seen.has(k)) {
          if (!dups.has(k)) {
            set.insert([...path, pe]);
            dups.add(k);
          }
        } else seen.add(k);
      }
      for (const item of list) {
        const pe = tryPE(t, item);
        if (!pe || dups.has(serializePE(pe))) continue;
        const p = [...path, pe];
        fieldSetWalk(item, t.elem(), p, set);
        set.insert(p);
      }
      return;
    }
    case 'map': {
      const t = atom.map!;
      if (t.relationship === 'atomic') {
        set.insert(path);
        return;
      }
      const m = asMap(v);
      if (!m) return;
      for (const [key, val] of Object.entries(m)) {
        const p = [...path, { field: key }];
        fieldSetWalk(val, entryType(t, key)!, p, set);
        if (val === null || (isMap(val) && Object.keys(val).length === 0) || !t.field(key)) set.insert(p);
      }
      return;
    }
  }
}

// ---------------------------------------------------------------- Compare

export interface Comparison {
  removed: FieldSet;
  modified: FieldSet;
  added: FieldSet;
}

export function compare(lhs: JsonValue, rhs: JsonValue, atom: Atom): Comparison {
  const c: Comparison = { removed: new FieldSet(), modified: new FieldSet(), added: new FieldSet() };
  compareNode(lhs, rhs, atom, [], c);
  return c;
}

function compareNode(l: V, r: V, atom: Atom, path: Path, c: Comparison): void {
  const state = { inLeaf: false };
  const kl = kindOf(atom, l);
  const kr = kindOf(atom, r);
  if (r === undefined) compareAs(kl, l, r, atom, path, c, state);
  else if (l === undefined || kl === kr) compareAs(kr, l, r, atom, path, c, state);
  else {
    compareAs(kl, l, r, atom, path, c, { inLeaf: false });
    compareAs(kr, l, r, atom, path, c, state);
  }
  if (!state.inLeaf) {
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
  }
}

function compareLeaf(l: V, r: V, path: Path, c: Comparison, state: { inLeaf: boolean }): void {
  if (state.inLeaf) return;
  state.inLeaf = true;
  if (l === undefined) c.added.insert(path);
  else if (r === undefined) c.removed.insert(path);
  else if (!isDeepStrictEqual(l, r)) c.modified.insert(path);
}

function compareAs(
  kind: Kind | undefined,
  l: V,
  r: V,
  atom: Atom,
  path: Path,
  c: Comparison,
  state: { inLeaf: boolean },
): void {
  if (kind === 'scalar') return compareLeaf(l, r, path, c, state);
  if (kind === 'list') {
    const t = atom.list!;
    const ll = asList(l);
    const rl = asList(r);
    if (t.relationship === 'atomic' || (!ll?.length && !rl?.length)) return compareLeaf(l, r, path, c, state);
    return compareListItems(t, ll ?? [], rl ?? [], path, c);
  }
  if (kind === 'map') {
    const t = atom.map!;
    const lm = asMap(l);
    const rm = asMap(r);
    const lEmpty = !lm || Object.keys(lm).length === 0;
    const rEmpty = !rm || Object.keys(rm).length === 0;
    if (t.relationship === 'atomic' || (lEmpty && rEmpty)) return compareLeaf(l, r, path, c, state);
    for (const key of zipKeys(lm, rm)) {
      compareNode(lm?.[key], rm?.[key], entryType(t, key)!, [...path, { field: key }], c);
    }
  }
}

function zipKeys(a: JsonMap | undefined, b: JsonMap | undefined): string[] {
  const keys = Object.keys(a ?? {});
  for (const k of Object.keys(b ?? {})) if (!a || !Object.prototype.hasOwnProperty.call(a, k)) keys.push(k);
  return keys;
}

function compareListItems(t: ListAtom, lhs: JsonValue[], rhs: JsonValue[], path: Path, c: Comparison): void {
  const order: { key: string; pe: PathElement }[] = [];
  const lValues = new Map<string, JsonValue[]>();
  const rValues = new Map<string, JsonValue[]>();
  for (const item of lhs) {
    const pe = tryPE(t, item);
    if (!pe) continue;
    const k = serializePE(pe);
    const prev = lValues.get(k);
    if (prev) prev.push(item);
    else {
      lValues.set(k, [item]);
      order.push({ key: k, pe });
    }
  }
  for (const item of rhs) {
    const pe = tryPE(t, item);
    if (!pe) continue;
    const k = serializePE(pe);
    const prev = rValues.get(k);
    if (prev) prev.push(item);
    else {
      rValues.set(k, [item]);
      if (!lValues.has(k)) order.push({ key: k, pe });
    }
  }
  for (const { key, pe } of order) {
    const ll = lValues.get(key) ?? [];
    const rl = rValues.get(key) ?? [];
    const p = [...path, pe];
    if (ll.length <= 1 && rl.length <= 1) {
      compareNode(ll[0], rl[0], t.elem(), p, c);
    } else if (ll.length >= 2 && rl.length >= 2) {
      if (!isDeepStrictEqual(ll, rl)) c.modified.insert(p);
    } else if (ll.length >= 2) {
      if (rl.length) compareNode(undefined, rl[0], t.elem(), p, c);
      c.removed.insert(p);
    } else {
      if (ll.length) compareNode(ll[0], undefined, t.elem(), p, c);
      c.added.insert(p);
    }
  }
}

// ---------------------------------------------------------------- Merge (apply)

export class MergeError extends Error {}

/** TypedValue.Merge with ruleKeepRHS: the applied config's values win, lists merge by key. */
export function merge(lhs: JsonValue, rhs: JsonValue, atom: Atom): JsonValue | undefined {
  return mergeNode(lhs, rhs, atom, []);
}

function mergeNode(l: V, r: V, atom: Atom, path: Path): V {
  const state = { inLeaf: false };
  const kl = kindOf(atom, l);
  const kr = kindOf(atom, r);
  if (r === undefined) return mergeAs(kl, l, r, atom, path, state);
  if (l === undefined || kl === kr) return mergeAs(kr, l, r, atom, path, state);
  mergeAs(kl, l, r, atom, path, { inLeaf: false });
  return mergeAs(kr, l, r, atom, path, state);
}

function keepRHS(l: V, r: V, state: { inLeaf: boolean }): V {
  if (state.inLeaf) return undefined;
  state.inLeaf = true;
  return r !== undefined ? r : l;
}

function mergeAs(kind: Kind | undefined, l: V, r: V, atom: Atom, path: Path, state: { inLeaf: boolean }): V {
  if (kind === 'scalar') return keepRHS(l, r, state);
  if (kind === 'list') {
    const t = atom.list!;
    const ll = asList(l);
    const rl = asList(r);
    if (t.relationship === 'atomic' || (!ll?.length && !rl?.length)) return keepRHS(l, r, state);
    return mergeListItems(t, ll, rl, path);
  }
  if (kind === 'map') {
    const t = atom.map!;
    const lm = asMap(l);
    const rm = asMap(r);
    const lEmpty = !lm || Object.keys(lm).length === 0;
    const rEmpty = !rm || Object.keys(rm).length === 0;
    if (t.relationship === 'atomic' || (lEmpty && rEmpty)) return keepRHS(l, r, state);
    const out: JsonMap = {};
    for (const key of zipKeys(lm, rm)) {
      const v = mergeNode(lm?.[key], rm?.[key], entryType(t, key)!, [...path, { field: key }]);
      if (v !== undefined) out[key] = v;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return undefined;
}

function indexList(t: ListAtom, list: JsonValue[] | undefined, allowDuplicates: boolean, path: Path) {
  const pes: PathElement[] = [];
  const observed = new Map<string, JsonValue>();
  for (const [i, item] of (list ?? []).entries()) {
    let pe: PathElement;
    try {
      pe = listItemPE(t, item);
    } catch (err) {
      throw new MergeError(`${pathToString(path)}: element ${i}: ${(err as Error).message}`);
    }
    const k = serializePE(pe);
    if (observed.has(k)) {
      if (!allowDuplicates)
        throw new MergeError(`${pathToString(path)}: duplicate entries for key ${peToString(pe)}`);
      observed.set(k, null); // duplicated items are not merged with the new value
    } else observed.set(k, item);
    pes.push(pe);
  }
  return { pes, observed };
}

function mergeListItems(
  t: ListAtom,
  lhs: JsonValue[] | undefined,
  rhs: JsonValue[] | undefined,
  path: Path,
): V {
  const out: JsonValue[] = [];
  const R = indexList(t, rhs, false, path);
  const L = indexList(t, lhs, true, path);
  const key = serializePE;
  const shared = R.pes.filter((pe) => L.observed.has(key(pe)));
  let nextShared: PathElement | undefined = shared.shift();
  const mergedRHS = new Set<string>();
  const push = (pe: PathElement, lc: V, rc: V) => {
    const v = mergeNode(lc, rc, t.elem(), [...path, pe]);
    if (v !== undefined) out.push(v);
  };
  let lI = 0;
  let rI = 0;
  while (lI < L.pes.length || rI < R.pes.length) {
    if (lI < L.pes.length && rI < R.pes.length) {
      const pe = L.pes[lI]!;
      if (key(pe) === key(R.pes[rI]!)) {
        mergedRHS.add(key(pe));
        push(pe, L.observed.get(key(pe)), R.observed.get(key(pe)));
        lI++;
        rI++;
        nextShared = shared.shift();
        continue;
      }
      if (R.observed.has(key(pe)) && nextShared && key(nextShared) !== key(pe)) {
        lI++;
        continue;
      }
    }
    if (lI < L.pes.length) {
      const pe = L.pes[lI]!;
      if (!R.observed.has(key(pe))) {
        push(pe, lhs![lI], undefined);
        lI++;
        continue;
      } else if (mergedRHS.has(key(pe))) {
        lI++;
      }
    }
    if (rI < R.pes.length) {
      const pe = R.pes[rI]!;
      mergedRHS.add(key(pe));
      push(pe, L.observed.get(key(pe)), R.observed.get(key(pe)));
      rI++;
      if (nextShared && key(nextShared) === key(pe)) nextShared = shared.shift();
    }
  }
  return out.length > 0 ? out : undefined;
}

// ---------------------------------------------------------------- RemoveItems

export function removeItems(v: JsonValue, toRemove: FieldSet, atom: Atom): JsonValue {
  return removeWalk(v, toRemove, atom) ?? null;
}

function removeWalk(v: JsonValue, toRemove: FieldSet, atom: Atom): JsonValue | undefined {
  switch (kindOf(atom, v)) {
    case 'scalar':
      return v;
    case 'list': {
      const t = atom.list!;
      if (!Array.isArray(v) || v.length === 0 || t.relationship === 'atomic') return undefined;
      const out: JsonValue[] = [];
      for (const item of v) {
        const pe = tryPE(t, item);
        if (pe && toRemove.has([pe])) continue;
        const subset = pe ? toRemove.withPrefix(pe) : undefined;
        out.push(subset && !subset.empty() ? (removeWalk(item, subset, t.elem()) ?? null) : item);
      }
      return out.length > 0 ? out : undefined;
    }
    case 'map': {
      const t = atom.map!;
      if (!isMap(v) || Object.keys(v).length === 0 || t.relationship === 'atomic') return undefined;
      const out: JsonMap = {};
      for (const [k, val] of Object.entries(v)) {
        const pe: PathElement = { field: k };
        if (toRemove.has([pe])) continue;
        const subset = toRemove.withPrefix(pe);
        out[k] = subset.empty() ? val : (removeWalk(val, subset, entryType(t, k)!) ?? null);
      }
      return Object.keys(out).length > 0 ? out : undefined;
    }
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------- EnsureNamedFieldsAreMembers

export function ensureNamedFieldsAreMembers(s: FieldSet, atom: Atom): FieldSet {
  const out = new FieldSet();
  out.members = [...s.members];
  for (const node of s.children) {
    if ('field' in node.pe && atom.map?.field(node.pe.field)) out.insertMember(node.pe);
  }
  out.children = s.children.map((node) => {
    let childAtom: Atom = emptyAtom;
    if ('field' in node.pe && atom.map) childAtom = entryType(atom.map, node.pe.field, false) ?? emptyAtom;
    else if ('key' in node.pe && atom.list) childAtom = atom.list.elem();
    return { pe: node.pe, set: ensureNamedFieldsAreMembers(node.set, childAtom) };
  });
  return out;
}

// ---------------------------------------------------------------- Validate (applied configs)

/** typed.AsTyped validation: the errors, printed as ValidationErrors prints them, or undefined. */
export function validate(v: JsonValue, atom: Atom): string | undefined {
  const errs: string[] = [];
  validateWalk(v, atom, [], errs);
  if (errs.length === 0) return undefined;
  return errs.length === 1 ? errs[0] : ['errors:', ...errs.map((e) => '  ' + e)].join('\n');
}

function validateWalk(v: V, atom: Atom, path: Path, errs: string[]): void {
  const at = (msg: string) => errs.push(path.length ? `${pathToString(path)}: ${msg}` : msg);
  switch (kindOf(atom, v)) {
    case 'scalar': {
      if (v === null || v === undefined) return;
      const t = atom.scalar;
      const isScalar = typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
      if (t === 'numeric' && typeof v !== 'number') at(`expected numeric (int or float), got ${goTypeOf(v)}`);
      else if (t === 'string' && typeof v !== 'string') at(`expected string, got ${sharpV(v)}`);
      else if (t === 'boolean' && typeof v !== 'boolean') at(`expected boolean, got ${plainV(v)}`);
      else if (t === 'untyped' && !isScalar) at(`expected any scalar, got ${plainV(v)}`);
      return;
    }
    case 'list': {
      if (v === null || v === undefined) return;
      if (!Array.isArray(v)) return void at(`expected list, got ${plainV(v)}`);
      const t = atom.list!;
      const seen = new Set<string>();
      v.forEach((item, i) => {
        let pe: PathElement = { index: i };
        if (t.relationship === 'associative') {
          try {
            pe = listItemPE(t, item);
          } catch (err) {
            return void at(`element ${i}: ${(err as Error).message}`);
          }
          const k = serializePE(pe);
          if (seen.has(k)) return void at(`duplicate entries for key ${peToString(pe)}`);
          seen.add(k);
        }
        validateWalk(item, t.elem(), [...path, pe], errs);
      });
      return;
    }
    case 'map': {
      if (v === null || v === undefined) return;
      if (!isMap(v)) return void at(`expected map, got ${plainV(v)}`);
      const t = atom.map!;
      for (const [k, val] of Object.entries(v)) {
        const type = entryType(t, k, false);
        const p = [...path, { field: k } as PathElement];
        if (!type) {
          errs.push(`${pathToString(p)}: field not declared in schema`);
          return;
        }
        validateWalk(val, type, p, errs);
      }
      return;
    }
  }
}

// How structured-merge-diff prints the offending value.Value (a *valueUnstructured): %v and %#v.
function goV(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goV).join(' ')}]`;
  const o = v as Record<string, unknown>;
  const body = Object.keys(o)
    .sort()
    .map((k) => `${k}:${goV(o[k])}`)
    .join(' ');
  return `map[${body}]`;
}
const plainV = (v: unknown): string => `&{${goV(v)}}`;
const sharpV = (v: unknown): string => `&value.valueUnstructured{Value:${goSharpV(v)}}`;

function goTypeOf(v: JsonValue): string {
  if (Array.isArray(v)) return '[]interface {}';
  if (isMap(v)) return 'map[string]interface {}';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}
