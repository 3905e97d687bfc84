// metav1.LabelSelector matching (matchLabels AND matchExpressions), for aggregationRule selectors.
import type { LabelSelectorShape } from './types.js';

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
