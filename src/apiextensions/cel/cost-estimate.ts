// Static worst-case cost of a CEL expression, following cel-go's checker/cost.go and the
// Kubernetes library estimates (apiserver/pkg/cel/library/cost.go) for the constructs kplex
// evaluates. Sizes come from the schema of `self` (decl-type.ts): comprehensions cost their
// range's maximum size times their loop, string functions scale with string lengths. Only the
// maximum is tracked; it is what the apiserver compares with its limits.
import type { Decl } from './decl-type.js';
import { REGEX_LENGTH, STRING_TRAVERSAL } from './call-cost.js';
import { parseExpr } from './runtime.js';

/** math.MaxUint64, the checker's "unknown size". */
export const UNKNOWN = 2 ** 64 - 1;

type Kind = Decl['kind'] | 'uint' | 'null' | 'type';

interface Info {
  cost: number;
  /** Maximum size (string length, list or map elements); undefined when unknown. */
  size?: number;
  kind: Kind;
  /** Schema node the value comes from, when its path leads back to `self`. */
  decl?: Decl;
  /** Maximum size of a list's elements or a map's values, when known. */
  entrySize?: number;
  entryKind?: Kind;
}

type Expr = { id: bigint; exprKind: { case: string | undefined; value: any } }; // eslint-disable-line @typescript-eslint/no-explicit-any

const add = (a: number, b: number) => Math.min(UNKNOWN, a + b);
const mul = (a: number, b: number) => (a === 0 || b === 0 ? 0 : Math.min(UNKNOWN, a * b));
const factor = (size: number | undefined, f: number) =>
  size === undefined ? UNKNOWN : Math.min(UNKNOWN, Math.ceil(size * f));
const sizeOf = (i: Info) => (i.size === undefined ? UNKNOWN : i.size);
const isText = (k: Kind) => k === 'string' || k === 'bytes';

/** What a schema node looks like as an expression value (path-derived size: MaxElements). */
function fromDecl(d: Decl | undefined, cost: number): Info {
  if (!d) return { cost, kind: 'dyn' };
  return {
    cost,
    kind: d.kind,
    decl: d,
    size: d.maxElements,
    entrySize: d.elem?.maxElements,
    entryKind: d.elem?.kind,
  };
}

/** A scalar's size is 1 (computeTypeSize); others are unknown unless computed. */
const scalarSize = (k: Kind) =>
  k === 'bool' || k === 'int' || k === 'uint' || k === 'double' || k === 'duration' || k === 'timestamp'
    ? 1
    : undefined;

class Coster {
  private readonly scopes: Map<string, Info>[] = [];

  constructor(private readonly vars: Record<string, Decl | undefined>) {}

  private lookup(name: string): Info | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i]!.get(name);
      if (v) return v;
    }
    return undefined;
  }

  cost(e: Expr | undefined): Info {
    if (!e) return { cost: 0, kind: 'dyn' };
    const v = e.exprKind.value;
    switch (e.exprKind.case) {
      case 'constExpr':
        return this.constant(v);
      case 'identExpr': {
        const local = this.lookup(v.name);
        if (local) return { ...local, cost: 1 };
        if (v.name in this.vars) return fromDecl(this.vars[v.name], 1);
        return { cost: 1, kind: 'dyn' };
      }
      case 'selectExpr': {
        const op = this.cost(v.operand);
        if (v.testOnly) return { cost: add(op.cost, 1), kind: 'bool', size: 1 };
        const extra = op.kind === 'object' || op.kind === 'map' ? 1 : 0;
        const d =
          op.kind === 'object'
            ? op.decl?.fields?.get(v.field)
            : op.kind === 'map'
              ? op.decl?.elem
              : undefined;
        if (d) return fromDecl(d, add(op.cost, extra));
        return { cost: add(op.cost, extra), kind: 'dyn' };
      }
      case 'listExpr': {
        let cost = 10;
        let entrySize = 0;
        let entryKind: Kind = 'dyn';
        for (const el of v.elements as Expr[]) {
          const i = this.cost(el);
          cost = add(cost, i.cost);
          entrySize = Math.max(entrySize, i.size ?? UNKNOWN);
          entryKind = i.kind;
        }
        return { cost, kind: 'list', size: v.elements.length, entrySize, entryKind };
      }
      case 'structExpr': {
        let cost = v.messageName ? 40 : 30;
        let entrySize = 0;
        for (const en of v.entries as { keyKind: { value: Expr }; value: Expr }[]) {
          if (en.keyKind?.value && typeof en.keyKind.value === 'object')
            cost = add(cost, this.cost(en.keyKind.value).cost);
          const val = this.cost(en.value);
          cost = add(cost, val.cost);
          entrySize = Math.max(entrySize, val.size ?? UNKNOWN);
        }
        return { cost, kind: 'map', size: v.entries.length, entrySize };
      }
      case 'comprehensionExpr':
        return this.comprehension(v);
      case 'callExpr':
        return this.call(v);
      default:
        return { cost: 0, kind: 'dyn' };
    }
  }

  private constant(v: { constantKind: { case: string; value: unknown } }): Info {
    switch (v.constantKind.case) {
      case 'stringValue':
        return { cost: 0, kind: 'string', size: [...(v.constantKind.value as string)].length };
      case 'bytesValue':
        return { cost: 0, kind: 'bytes', size: (v.constantKind.value as Uint8Array).length };
      case 'int64Value':
        return { cost: 0, kind: 'int', size: 1 };
      case 'uint64Value':
        return { cost: 0, kind: 'uint', size: 1 };
      case 'doubleValue':
        return { cost: 0, kind: 'double', size: 1 };
      case 'boolValue':
        return { cost: 0, kind: 'bool', size: 1 };
      default:
        return { cost: 0, kind: 'null', size: 1 };
    }
  }

  private comprehension(c: Record<string, Expr & string>): Info {
    const range = this.cost(c.iterRange);
    const init = this.cost(c.accuInit);
    const iter: Info =
      range.kind === 'map'
        ? range.decl?.key
          ? fromDecl(range.decl.key, 1)
          : { cost: 1, kind: 'string' }
        : range.decl?.elem
          ? fromDecl(range.decl.elem, 1)
          : { cost: 1, kind: range.entryKind ?? 'dyn', size: range.entrySize };
    this.scopes.push(
      new Map([
        [
          c.accuVar as unknown as string,
          { cost: 1, kind: init.kind, size: init.size, entrySize: init.entrySize, entryKind: init.entryKind },
        ],
        [c.iterVar as unknown as string, iter],
      ]),
    );
    const cond = this.cost(c.loopCondition);
    const step = this.cost(c.loopStep);
    this.scopes.pop();
    this.scopes.push(
      new Map([[c.accuVar as unknown as string, { cost: 1, kind: init.kind, size: init.size }]]),
    );
    const result = this.cost(c.result);
    this.scopes.pop();
    const n = sizeOf(range);
    const cost = add(add(add(range.cost, init.cost), result.cost), mul(n, add(cond.cost, step.cost)));
    if (init.kind === 'list' || init.kind === 'map')
      return {
        cost,
        kind: init.kind,
        size: range.size,
        entrySize: step.entrySize,
        entryKind: step.entryKind,
      };
    return { cost, kind: result.kind, size: result.size ?? scalarSize(result.kind) };
  }

  private call(c: { target?: Expr; function: string; args: Expr[] }): Info {
    const fn = c.function;
    const target = c.target ? this.cost(c.target) : undefined;
    const args = c.args.map((a) => this.cost(a));
    const argSum = args.reduce((s, a) => add(s, a.cost), target?.cost ?? 0);
    const [a0, a1] = args;
    const fixed = (kind: Kind, size = scalarSize(kind)): Info => ({ cost: add(argSum, 1), kind, size });
    switch (fn) {
      case '_&&_':
      case '_||_':
        return { cost: argSum, kind: 'bool', size: 1 };
      case '_?_:_':
        return {
          cost: add(a0!.cost, Math.max(a1!.cost, args[2]!.cost)),
          kind: a1!.kind,
          size: Math.max(sizeOf(a1!), sizeOf(args[2]!)),
          decl: a1!.decl ?? args[2]!.decl,
        };
      case '_[_]': {
        const d = a0!.decl?.elem;
        if (d) return fromDecl(d, add(argSum, 1));
        return { cost: add(argSum, 1), kind: a0!.entryKind ?? 'dyn', size: a0!.entrySize };
      }
      case 'dyn':
        return { ...a0!, cost: add(a0!.cost, 1) };
      case '@in':
        return { cost: add(argSum, sizeOf(a1!)), kind: 'bool', size: 1 };
      case 'matches':
      case 'find':
      case 'findAll': {
        const str = target ?? a0!;
        const re = target ? a0! : a1!;
        const cost = add(
          argSum,
          mul(factor(add(sizeOf(str), 1), STRING_TRAVERSAL), factor(sizeOf(re), REGEX_LENGTH)),
        );
        if (fn === 'matches') return { cost, kind: 'bool', size: 1 };
        if (fn === 'find') return { cost, kind: 'string', size: str.size };
        return { cost, kind: 'list', size: str.size, entrySize: str.size, entryKind: 'string' };
      }
      case 'contains':
        if (target && isText(target.kind))
          return {
            cost: add(
              argSum,
              mul(factor(sizeOf(target), STRING_TRAVERSAL), factor(sizeOf(a0!), STRING_TRAVERSAL)),
            ),
            kind: 'bool',
            size: 1,
          };
        return fixed('bool');
      case 'startsWith':
      case 'endsWith':
        return { cost: add(argSum, factor(sizeOf(a0!), STRING_TRAVERSAL)), kind: 'bool', size: 1 };
      case '_+_': {
        const l = a0!;
        const r = a1!;
        const size = add(sizeOf(l), sizeOf(r));
        if (l.kind === 'list' || r.kind === 'list')
          return {
            cost: add(argSum, 1),
            kind: 'list',
            size,
            entrySize: Math.max(l.entrySize ?? 0, r.entrySize ?? 0),
            entryKind: l.entryKind ?? r.entryKind,
          };
        if (isText(l.kind) || isText(r.kind))
          return { cost: add(argSum, factor(size, STRING_TRAVERSAL)), kind: l.kind, size };
        return fixed(l.kind === 'dyn' ? r.kind : l.kind);
      }
      case '_<_':
      case '_>_':
      case '_<=_':
      case '_>=_':
      case '_==_':
      case '_!=_': {
        const l = a0!;
        const r = a1!;
        if (fn === '_==_' || fn === '_!=_' || isText(l.kind) || isText(r.kind)) {
          return {
            cost: add(argSum, factor(Math.min(sizeOf(l), sizeOf(r)), STRING_TRAVERSAL)),
            kind: 'bool',
            size: 1,
          };
        }
        return fixed('bool');
      }
      case 'isSorted':
      case 'sum':
      case 'max':
      case 'min':
      case 'indexOf':
      case 'lastIndexOf': {
        const t = target ?? a0!;
        const kind =
          fn === 'isSorted'
            ? 'bool'
            : fn === 'indexOf' || fn === 'lastIndexOf'
              ? 'int'
              : (t.entryKind ?? 'dyn');
        if (t.kind === 'list') {
          const el = t.entryKind && isText(t.entryKind) ? add(1, factor(t.entrySize, STRING_TRAVERSAL)) : 1;
          return { cost: add(argSum, mul(sizeOf(t), el)), kind, size: scalarSize(kind) };
        }
        return { cost: add(argSum, factor(sizeOf(t), STRING_TRAVERSAL)), kind, size: scalarSize(kind) };
      }
      case 'lowerAscii':
      case 'upperAscii':
      case 'substring':
      case 'trim':
        if (target)
          return {
            cost: add(argSum, factor(sizeOf(target), STRING_TRAVERSAL)),
            kind: 'string',
            size: target.size,
          };
        return fixed('string', undefined);
      case 'replace':
        if (target && args.length >= 2) {
          const from = a0!.size ?? 0;
          const to = sizeOf(a1!);
          const n = sizeOf(target);
          const size =
            from === 0 ? add(mul(add(n, 1), to), n) : to <= from ? n : mul(Math.ceil(n / from), to);
          return { cost: add(argSum, factor(n, 2 * STRING_TRAVERSAL)), kind: 'string', size };
        }
        return fixed('string', undefined);
      case 'split':
        if (target) {
          const n = sizeOf(target);
          return {
            cost: add(argSum, factor(n, 2 * STRING_TRAVERSAL)),
            kind: 'list',
            size: n,
            entrySize: n,
            entryKind: 'string',
          };
        }
        return fixed('list', undefined);
      case 'join':
        if (target) {
          const n = mul(sizeOf(target), target.entrySize ?? UNKNOWN);
          return { cost: add(argSum, factor(n, 2 * STRING_TRAVERSAL)), kind: 'string', size: n };
        }
        return fixed('string', undefined);
      case 'size':
        return fixed('int');
      case 'int':
      case 'uint':
      case 'double':
      case 'bool':
        return fixed(fn as Kind);
      case 'string':
        return fixed('string', undefined);
      default:
        return fixed('dyn', undefined);
    }
  }
}

/**
 * The estimated maximum cost of `expr` with `self` (and `oldSelf`) typed by `self`; other
 * identifiers are dynamic and of unknown size. Throws the parse error.
 */
export function estimateCost(expr: string, self: Decl | undefined): number {
  const parsed = parseExpr(expr) as unknown as Expr;
  return new Coster({ self, oldSelf: self }).cost(parsed).cost;
}
