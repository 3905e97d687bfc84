// Field paths and sets of field paths as sigs.k8s.io/structured-merge-diff/v4/fieldpath models
// them, with its ordering, set algebra and the FieldsV1 serialization (`f:`, `k:`, `v:`, `i:`
// keys, "." for a node that is itself a member) used in metadata.managedFields.
import { compareStrings, goJSONString, goQuote, isMap, type JsonMap, type JsonValue } from './json-value.js';

export type PathElement =
  | { field: string }
  | { key: [string, JsonValue][] } // sorted by name
  | { value: JsonValue }
  | { index: number };

export type Path = PathElement[];

// ---- values: value.Compare / value.Equals / value.ToString ----

function valueRank(v: JsonValue): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (isMap(v)) return 4;
  return 5; // null
}

export function compareValues(a: JsonValue, b: JsonValue): number {
  const ra = valueRank(a);
  const rb = valueRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return a === b ? 0 : (a as number) < (b as number) ? -1 : 1;
    case 1:
      return compareStrings(a as string, b as string);
    case 2:
      return a === b ? 0 : a ? 1 : -1;
    case 3: {
      const la = a as JsonValue[];
      const lb = b as JsonValue[];
      for (let i = 0; i < Math.min(la.length, lb.length); i++) {
        const c = compareValues(la[i]!, lb[i]!);
        if (c !== 0) return c;
      }
      return la.length === lb.length ? 0 : la.length < lb.length ? -1 : 1;
    }
    case 4: {
      // MapCompare: by sorted keys, then values, then length
      const ma = a as JsonMap;
      const mb = b as JsonMap;
      const ka = Object.keys(ma).sort(compareStrings);
      const kb = Object.keys(mb).sort(compareStrings);
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
        const c = compareStrings(ka[i]!, kb[i]!);
        if (c !== 0) return c;
        const cv = compareValues(ma[ka[i]!]!, mb[kb[i]!]!);
        if (cv !== 0) return cv;
      }
      return ka.length === kb.length ? 0 : ka.length < kb.length ? -1 : 1;
    }
    default:
      return 0;
  }
}

export function valueToString(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return '[' + v.map(valueToString).join(',') + ']';
  return Object.entries(v)
    .map(([k, x]) => `${k}=${valueToString(x)}`)
    .join('');
}

/** value.WriteJSONStream (jsoniter, standard-library compatible: HTML-escaped strings). */
function valueToJSON(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goJSONString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return '[' + v.map(valueToJSON).join(',') + ']';
  return (
    '{' +
    Object.entries(v)
      .map(([k, x]) => goJSONString(k) + ':' + valueToJSON(x))
      .join(',') +
    '}'
  );
}

// ---- path elements ----

function peRank(pe: PathElement): number {
  if ('field' in pe) return 0;
  if ('key' in pe) return 1;
  if ('value' in pe) return 2;
  return 3;
}

export function comparePE(a: PathElement, b: PathElement): number {
  const ra = peRank(a);
  const rb = peRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if ('field' in a) return compareStrings(a.field, (b as { field: string }).field);
  if ('key' in a) {
    const ka = a.key;
    const kb = (b as { key: [string, JsonValue][] }).key;
    for (let i = 0; ; i++) {
      if (i >= ka.length && i >= kb.length) return 0;
      if (i >= ka.length) return -1;
      if (i >= kb.length) return 1;
      const c = compareStrings(ka[i]![0], kb[i]![0]);
      if (c !== 0) return c;
      const cv = compareValues(ka[i]![1], kb[i]![1]);
      if (cv !== 0) return cv;
    }
  }
  if ('value' in a) return compareValues(a.value, (b as { value: JsonValue }).value);
  const ia = (a as { index: number }).index;
  const ib = (b as { index: number }).index;
  return ia === ib ? 0 : ia < ib ? -1 : 1;
}

export function peToString(pe: PathElement): string {
  if ('field' in pe) return '.' + pe.field;
  if ('key' in pe) return '[' + pe.key.map(([k, v]) => `${k}=${valueToString(v)}`).join(',') + ']';
  if ('value' in pe) return `[=${valueToString(pe.value)}]`;
  return `[${pe.index}]`;
}

export function pathToString(p: Path): string {
  return p.map(peToString).join('');
}

export function keyPE(fields: [string, JsonValue][]): PathElement {
  return { key: [...fields].sort((a, b) => compareStrings(a[0], b[0])) };
}

/** serializePathElementToWriter */
export function serializePE(pe: PathElement): string {
  if ('field' in pe) return 'f:' + pe.field;
  if ('key' in pe)
    return 'k:{' + pe.key.map(([k, v]) => goJSONString(k) + ':' + valueToJSON(v)).join(',') + '}';
  if ('value' in pe) return 'v:' + valueToJSON(pe.value);
  return 'i:' + String(pe.index);
}

/** DeserializePathElement; undefined for unknown element types (ignored, as the library does). */
export function deserializePE(s: string): PathElement | undefined {
  if (s.length < 2) throw new Error('key must be 2 characters long:');
  if (s[1] !== ':') throw new Error(`missing colon: ${s}`);
  const body = s.slice(2);
  switch (s[0]) {
    case 'f':
      return { field: body };
    case 'v':
      return { value: JSON.parse(body) as JsonValue };
    case 'k': {
      const obj = JSON.parse(body) as unknown;
      if (!isMap(obj)) throw new Error(`invalid key: ${s}`);
      return keyPE(Object.entries(obj));
    }
    case 'i': {
      if (!/^[+-]?\d+$/.test(body)) throw new Error(`invalid index: ${s}`);
      return { index: Number(body) };
    }
    default:
      return undefined;
  }
}

// ---- sets ----

interface SetNode {
  pe: PathElement;
  set: FieldSet;
}

function search<T>(arr: T[], pe: PathElement, get: (t: T) => PathElement): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comparePE(get(arr[mid]!), pe) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
const idPE = (pe: PathElement) => pe;
const nodePE = (n: SetNode) => n.pe;

/** fieldpath.Set: sorted members plus sorted children (which are not members by themselves). */
export class FieldSet {
  members: PathElement[] = [];
  children: SetNode[] = [];

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(p: Path): void {
    if (p.length === 0) return; // the whole object is never tracked
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- walking down from this set
    let s: FieldSet = this;
    for (let i = 0; i < p.length - 1; i++) s = s.descend(p[i]!);
    s.insertMember(p[p.length - 1]!);
  }

  insertMember(pe: PathElement): void {
    const loc = search(this.members, pe, idPE);
    if (loc < this.members.length && comparePE(this.members[loc]!, pe) === 0) return;
    this.members.splice(loc, 0, pe);
  }

  hasMember(pe: PathElement): boolean {
    const loc = search(this.members, pe, idPE);
    return loc < this.members.length && comparePE(this.members[loc]!, pe) === 0;
  }

  descend(pe: PathElement): FieldSet {
    const loc = search(this.children, pe, nodePE);
    const at = this.children[loc];
    if (at && comparePE(at.pe, pe) === 0) return at.set;
    const set = new FieldSet();
    this.children.splice(loc, 0, { pe, set });
    return set;
  }

  child(pe: PathElement): FieldSet | undefined {
    const loc = search(this.children, pe, nodePE);
    const at = this.children[loc];
    return at && comparePE(at.pe, pe) === 0 ? at.set : undefined;
  }

  /** WithPrefix: the paths under pe, without pe. */
  withPrefix(pe: PathElement): FieldSet {
    return this.child(pe) ?? new FieldSet();
  }

  has(p: Path): boolean {
    if (p.length === 0) return false;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- walking down from this set
    let s: FieldSet | undefined = this;
    for (let i = 0; i < p.length - 1 && s; i++) s = s.child(p[i]!);
    return !!s && s.hasMember(p[p.length - 1]!);
  }

  empty(): boolean {
    return this.members.length === 0 && this.children.every((c) => c.set.empty());
  }

  size(): number {
    return this.members.length + this.children.reduce((n, c) => n + c.set.size(), 0);
  }

  union(o: FieldSet): FieldSet {
    const out = new FieldSet();
    out.members = mergeSorted(this.members, o.members, idPE, (a) => a, 'union');
    let i = 0;
    let j = 0;
    while (i < this.children.length && j < o.children.length) {
      const a = this.children[i]!;
      const b = o.children[j]!;
      const c = comparePE(a.pe, b.pe);
      if (c < 0) {
        out.children.push(a);
        i++;
      } else if (c > 0) {
        out.children.push(b);
        j++;
      } else {
        out.children.push({ pe: a.pe, set: a.set.union(b.set) });
        i++;
        j++;
      }
    }
    out.children.push(...this.children.slice(i), ...o.children.slice(j));
    return out;
  }

  intersection(o: FieldSet): FieldSet {
    const out = new FieldSet();
    out.members = mergeSorted(this.members, o.members, idPE, (a) => a, 'intersection');
    for (const a of this.children) {
      const b = o.child(a.pe);
      if (!b) continue;
      const res = a.set.intersection(b);
      if (!res.empty()) out.children.push({ pe: a.pe, set: res });
    }
    return out;
  }

  /** Leaf-wise difference: parent - child = parent, child - parent = child. */
  difference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    out.members = mergeSorted(this.members, o.members, idPE, (a) => a, 'difference');
    for (const a of this.children) {
      const b = o.child(a.pe);
      if (!b) {
        out.children.push(a);
        continue;
      }
      const diff = a.set.difference(b);
      if (!diff.empty()) out.children.push({ pe: a.pe, set: diff });
    }
    return out;
  }

  /** Removes every path of o together with everything below it. */
  recursiveDifference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    out.members = mergeSorted(this.members, o.members, idPE, (a) => a, 'difference');
    for (const a of this.children) {
      if (o.hasMember(a.pe)) continue;
      const b = o.child(a.pe);
      if (!b) {
        out.children.push(a);
        continue;
      }
      const diff = a.set.recursiveDifference(b);
      if (!diff.empty()) out.children.push({ pe: a.pe, set: diff });
    }
    return out;
  }

  /** Members first, then each child's paths, in element order (Set.Iterate). */
  iterate(f: (p: Path) => void, prefix: Path = []): void {
    for (const m of this.members) f([...prefix, m]);
    for (const c of this.children) c.set.iterate(f, [...prefix, c.pe]);
  }

  paths(): Path[] {
    const out: Path[] = [];
    this.iterate((p) => out.push(p));
    return out;
  }

  equals(o: FieldSet): boolean {
    return serialize(this) === serialize(o);
  }

  /** The FieldsV1 object (ToJSON), keys in the library's order. */
  toFieldsV1(): JsonMap {
    return emitContents(this, false);
  }

  static fromFieldsV1(v: unknown): FieldSet {
    if (!isMap(v)) throw new Error('FieldsV1 must be an object');
    return readSet(v).children ?? new FieldSet();
  }
}

function serialize(s: FieldSet): string {
  return JSON.stringify(s.toFieldsV1());
}

function mergeSorted<T>(
  a: T[],
  b: T[],
  get: (t: T) => PathElement,
  _id: (t: T) => T,
  mode: 'union' | 'intersection' | 'difference',
): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c = comparePE(get(a[i]!), get(b[j]!));
    if (c < 0) {
      if (mode !== 'intersection') out.push(a[i]!);
      i++;
    } else if (c > 0) {
      if (mode === 'union') out.push(b[j]!);
      j++;
    } else {
      if (mode !== 'difference') out.push(a[i]!);
      i++;
      j++;
    }
  }
  if (mode !== 'intersection') out.push(...a.slice(i));
  if (mode === 'union') out.push(...b.slice(j));
  return out;
}

function emitContents(s: FieldSet, includeSelf: boolean): JsonMap {
  const out: JsonMap = {};
  if (includeSelf && !(s.members.length === 0 && s.children.length === 0)) out['.'] = {};
  let mi = 0;
  let ci = 0;
  while (mi < s.members.length || ci < s.children.length) {
    const m = s.members[mi];
    const c = s.children[ci];
    const cmp = m && c ? comparePE(m, c.pe) : m ? -1 : 1;
    if (cmp < 0) {
      out[serializePE(m!)] = {};
      mi++;
    } else if (cmp > 0) {
      out[serializePE(c!.pe)] = emitContents(c!.set, false);
      ci++;
    } else {
      out[serializePE(c!.pe)] = emitContents(c!.set, true);
      mi++;
      ci++;
    }
  }
  return out;
}

/** readIterV1: a node is a member when it has "." or no children. */
function readSet(obj: JsonMap): { children: FieldSet | undefined; isMember: boolean } {
  let children: FieldSet | undefined;
  let isMember = false;
  for (const [key, val] of Object.entries(obj)) {
    if (key === '.') {
      isMember = true;
      continue;
    }
    const pe = deserializePE(key);
    if (!pe) continue;
    const sub = readSet(isMap(val) ? val : {});
    if (sub.isMember) (children ??= new FieldSet()).insertMember(pe);
    if (sub.children) {
      children ??= new FieldSet();
      const target = children.descend(pe);
      target.members = sub.children.members;
      target.children = sub.children.children;
    }
  }
  if (!children) isMember = true;
  return { children, isMember };
}
