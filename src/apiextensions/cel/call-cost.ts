// The actual cost of one function call: cel-go's CostTracker.costCall for the standard
// library and apiserver/pkg/cel/library/cost.go (CallCost) for the Kubernetes functions.
import { isCelList, isCelMap, type CelValue } from '@bufbuild/cel';

/** common.StringTraversalCostFactor and common.RegexStringLengthCostFactor. */
export const STRING_TRAVERSAL = 0.1;
export const REGEX_LENGTH = 0.25;

/** traits.Sizer's Size for strings, bytes, lists and maps; 1 for everything else. */
export function actualSize(v: CelValue | undefined): number {
  if (typeof v === 'string') return v.length;
  if (v instanceof Uint8Array) return v.length;
  if (isCelList(v) || isCelMap(v)) return v.size;
  return 1;
}

const isText = (v: CelValue | undefined) => typeof v === 'string' || v instanceof Uint8Array;
const traverse = (n: number, factor = STRING_TRAVERSAL) => Math.ceil(n * factor);

/** One traversal of a value: each list element once, strings by length (library.traversalCost). */
function traversalCost(v: CelValue | undefined): number {
  if (typeof v === 'string') return traverse(v.length);
  if (isCelList(v)) {
    let c = 0;
    for (const x of v) c += 1 + (isText(x) ? traverse(actualSize(x)) : 0);
    return c;
  }
  return 1;
}

const regexCost = (str: CelValue | undefined, re: CelValue | undefined) =>
  traverse(1 + actualSize(str)) * traverse(actualSize(re), REGEX_LENGTH);

/** Cost of calling `fn` (its target, if any, first in `args`) with result `result`. */
export function callCost(fn: string, args: CelValue[], result: CelValue | undefined): number {
  const [a, b] = args;
  switch (fn) {
    case 'startsWith':
    case 'endsWith':
      return traverse(actualSize(a));
    case '@in':
      return actualSize(b);
    case '_<_':
    case '_>_':
    case '_<=_':
    case '_>=_':
      return isText(a) && isText(b) ? traverse(Math.min(actualSize(a), actualSize(b))) : 1;
    case '_==_':
    case '_!=_':
      return traverse(Math.min(actualSize(a), actualSize(b)));
    case '_+_':
      return isText(a) && isText(b) ? traverse(actualSize(a) + actualSize(b)) : 1;
    case 'matches':
    case 'find':
    case 'findAll':
      return regexCost(a, b);
    case 'contains':
      return isText(a) ? traverse(actualSize(a)) * traverse(actualSize(b)) : 1;
    case 'isSorted':
    case 'sum':
    case 'max':
    case 'min':
    case 'indexOf':
    case 'lastIndexOf':
      return traversalCost(a);
    case 'lowerAscii':
    case 'upperAscii':
    case 'substring':
    case 'trim':
    case 'url':
      return traverse(actualSize(a));
    case 'replace':
    case 'split':
      return traverse(actualSize(a), 2 * STRING_TRAVERSAL);
    case 'join':
      return traverse(actualSize(result), 2 * STRING_TRAVERSAL);
    default:
      return 1;
  }
}
