// Walks a dot-separated field path (`[]` walks every element of an array) of a JSON object.
interface Step {
  key: string;
  each: boolean;
}

/** Paths are parsed once: lists are rewritten object by object, and most paths miss at their first key. */
const parsed = new Map<string, Step[]>();

function stepsOf(path: string): Step[] {
  let steps = parsed.get(path);
  if (!steps) {
    steps = path
      .split('.')
      .map((raw) => (raw.endsWith('[]') ? { key: raw.slice(0, -2), each: true } : { key: raw, each: false }));
    parsed.set(path, steps);
  }
  return steps;
}

/** Visits the parent object and key of every value at `path` (existing values only). */
export function visitPath(
  obj: unknown,
  path: string,
  fn: (parent: Record<string, unknown>, key: string) => void,
): void {
  const steps = stepsOf(path);
  // The common case (a configmap has no `spec`): leave before building the walk.
  if (obj === null || typeof obj !== 'object' || !(steps[0]!.key in (obj as object))) return;
  const walk = (node: unknown, i: number): void => {
    if (node === null || typeof node !== 'object') return;
    const { key, each } = steps[i]!;
    const rec = node as Record<string, unknown>;
    if (!(key in rec)) return;
    if (i === steps.length - 1 && !each) return fn(rec, key);
    const next = rec[key];
    if (each) {
      if (!Array.isArray(next)) return;
      for (const el of next)
        if (i === steps.length - 1) continue;
        else walk(el, i + 1);
      return;
    }
    walk(next, i + 1);
  };
  walk(obj, 0);
}

/**
 * Paths compiled once and grouped by their first key, visited together: an object is walked only
 * along the first keys it has (a ConfigMap has none of a Pod's or an Event's namespace fields), so
 * the per-object cost of a 1,000-item list no longer grows with the number of paths of every kind.
 */
export class PathSet {
  private readonly byFirstKey = new Map<string, string[]>();

  constructor(paths: Iterable<string>) {
    for (const p of paths) {
      const first = stepsOf(p)[0]!.key;
      const group = this.byFirstKey.get(first);
      if (group) group.push(p);
      else this.byFirstKey.set(first, [p]);
    }
  }

  /** visitPath for every path of the set. */
  visit(obj: unknown, fn: (parent: Record<string, unknown>, key: string) => void): void {
    if (obj === null || typeof obj !== 'object') return;
    for (const [first, paths] of this.byFirstKey)
      if (first in obj) for (const p of paths) visitPath(obj, p, fn);
  }
}
