// Kubernetes CEL extension functions (apiserver/pkg/cel/library) that @bufbuild/cel does not ship:
// lists (isSorted, sum, min, max, indexOf, lastIndexOf), regex (find, findAll) and the
// strings extension. Not hosted: optionals (`?.`, the parser lacks them), url, quantity, ip,
// cidr, semver, format, sets, authz.
import { celMethod, CelScalar, listType, type CelFunc, type CelValue } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { compileGoRegexp, type GoRegexp } from '../go-regexp.js';

const DYN = CelScalar.DYN;
const LIST = listType(DYN);

const toArray = (l: Iterable<CelValue>): CelValue[] => [...l];

function compare(a: CelValue, b: CelValue): number {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  throw new Error('no such overload');
}

function extreme(l: Iterable<CelValue>, sign: number): CelValue {
  const a = toArray(l);
  if (a.length === 0) throw new Error('min called on empty list');
  return a.reduce((m, x) => (compare(x, m) * sign > 0 ? x : m));
}

function regex(pattern: string): GoRegexp {
  const re = compileGoRegexp(pattern);
  if (re instanceof Error) throw re;
  return re;
}

/** celEnv's `re2` hook: `matches` compiles with Go syntax and matches in linear time. */
export const re2 = { compile: regex };

export const kubernetesFunctions: CelFunc[] = [
  ...strings,
  celMethod('isSorted', LIST, [], CelScalar.BOOL, function () {
    const a = toArray(this);
    return a.every((x, i) => i === 0 || compare(a[i - 1]!, x) <= 0);
  }),
  celMethod('sum', LIST, [], DYN, function () {
    const a = toArray(this);
    if (a.length === 0) return 0n;
    return a.reduce((s, x) => (s as number) + (x as number)) as never;
  }),
  celMethod('min', LIST, [], DYN, function () {
    return extreme(this, -1) as never;
  }),
  celMethod('max', LIST, [], DYN, function () {
    return extreme(this, 1) as never;
  }),
  celMethod('indexOf', LIST, [DYN], CelScalar.INT, function (x) {
    return BigInt(toArray(this).findIndex((y) => compare(y, x) === 0));
  }),
  celMethod('lastIndexOf', LIST, [DYN], CelScalar.INT, function (x) {
    const a = toArray(this);
    for (let i = a.length - 1; i >= 0; i--) if (compare(a[i]!, x) === 0) return BigInt(i);
    return -1n;
  }),
  celMethod('find', CelScalar.STRING, [CelScalar.STRING], CelScalar.STRING, function (p) {
    return regex(p).find(this);
  }),
  celMethod('findAll', CelScalar.STRING, [CelScalar.STRING], listType(CelScalar.STRING), function (p) {
    return regex(p).findAll(this, -1);
  }),
  celMethod(
    'findAll',
    CelScalar.STRING,
    [CelScalar.STRING, CelScalar.INT],
    listType(CelScalar.STRING),
    function (p, n) {
      return regex(p).findAll(this, n < 0n ? -1 : Number(n > 1_000_000n ? 1_000_000n : n));
    },
  ),
];
