// metav1validation.ValidateLabelSelector for the selectors of webhooks and match resources.
import type { FieldError } from '../api/status.js';
import { validateLabels } from '../apiextensions/index.js';
import { isQualifiedName, isValidLabelValue } from '../api/name-validation.js';
import { asArray, invalidValue, isObject, required } from './field-errors.js';

interface Requirement {
  key?: string;
  operator?: string;
  values?: string[];
}

export function validateLabelSelector(sel: unknown, fld: string): FieldError[] {
  if (!isObject(sel)) return [];
  const errs: FieldError[] = [...validateLabels(sel['matchLabels'], `${fld}.matchLabels`)];
  asArray<Requirement>(sel['matchExpressions']).forEach((r, i) => {
    const f = `${fld}.matchExpressions[${i}]`;
    const values = asArray<string>(r.values);
    switch (r.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(required(`${f}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errs.push({ type: 'FieldValueForbidden', field: `${f}.values`, detail: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'" });
        break;
      default:
        errs.push(invalidValue(`${f}.operator`, r.operator ?? '', 'not a valid selector operator'));
    }
    for (const msg of isQualifiedName(r.key ?? '')) errs.push(invalidValue(`${f}.key`, r.key ?? '', msg));
    values.forEach((v, j) => {
      for (const msg of isValidLabelValue(v)) errs.push(invalidValue(`${f}.values[${j}]`, v, msg));
    });
  });
  return errs;
}
