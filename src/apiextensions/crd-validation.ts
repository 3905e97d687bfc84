// validateCustomResourceDefinition (apis/apiextensions/validation/validation.go) for v1 CRDs.
// Paths follow the internal version the apiserver validates: when every version carries the same
// schema, subresources or printer columns, v1->internal conversion hoists them to
// spec.validation / spec.subresources / spec.additionalPrinterColumns, and errors say so.
import type { FieldError } from '../api/status.js';
import { fieldErr } from '../api/field-errors.js';
import { validateObjectMeta } from './metadata-validation.js';
import { isDNS1035Label, isDNS1123Subdomain, nameIsDNSSubdomain } from '../api/name-validation.js';
import { isDeepStrictEqual } from 'node:util';
import { validateStructuralSchema } from './structural-schema-validation.js';
import { validateCelCost } from './cel/crd-cost.js';
import { validateConversion } from './conversion-validation.js';
import type { CRDColumn, CRDVersion, CustomResourceDefinition } from './crd-types.js';

const printerColumnTypes = ['boolean', 'date', 'integer', 'number', 'string'];
const printerColumnFormats = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];

/** Whether every version has the same value for `pick` (so the apiserver hoists it). */
function hoisted<T>(versions: CRDVersion[], pick: (v: CRDVersion) => T | undefined): boolean {
  if (versions.length === 0) return false;
  const first = pick(versions[0]!);
  return first !== undefined && versions.every((v) => isDeepStrictEqual(pick(v), first));
}

function validateNames(
  names: CustomResourceDefinition['spec']['names'] | undefined,
  fld: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const n = names ?? ({} as CustomResourceDefinition['spec']['names']);
  const plural = n.plural ?? '';
  const singular = n.singular ?? '';
  const kind = n.kind ?? '';
  const listKind = n.listKind ?? '';
  let m = isDNS1035Label(plural);
  if (m.length && plural) errs.push(fieldErr.invalid(`${fld}.plural`, plural, m.join(',')));
  m = isDNS1035Label(singular);
  if (m.length && singular) errs.push(fieldErr.invalid(`${fld}.singular`, singular, m.join(',')));
  m = isDNS1035Label(kind.toLowerCase());
  if (m.length && kind)
    errs.push(
      fieldErr.invalid(
        `${fld}.kind`,
        kind,
        'may have mixed case, but should otherwise match: ' + m.join(','),
      ),
    );
  m = isDNS1035Label(listKind.toLowerCase());
  if (m.length && listKind)
    errs.push(
      fieldErr.invalid(
        `${fld}.listKind`,
        listKind,
        'may have mixed case, but should otherwise match: ' + m.join(','),
      ),
    );
  (n.shortNames ?? []).forEach((s, i) => {
    const e = isDNS1035Label(s);
    if (e.length) errs.push(fieldErr.invalid(`${fld}.shortNames[${i}]`, s, e.join(',')));
  });
  if (kind && kind === listKind)
    errs.push(fieldErr.invalid(`${fld}.listKind`, listKind, 'kind and listKind may not be the same'));
  (n.categories ?? []).forEach((c, i) => {
    const e = isDNS1035Label(c);
    if (e.length) errs.push(fieldErr.invalid(`${fld}.categories[${i}]`, c, e.join(',')));
  });
  return errs;
}

function validateColumn(c: CRDColumn, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(fieldErr.required(`${fld}.name`, ''));
  if (!c.type) errs.push(fieldErr.required(`${fld}.type`, `must be one of ${printerColumnTypes.join(',')}`));
  else if (!printerColumnTypes.includes(c.type))
    errs.push(fieldErr.invalid(`${fld}.type`, c.type, `must be one of ${printerColumnTypes.join(',')}`));
  if (c.format && !printerColumnFormats.includes(c.format))
    errs.push(
      fieldErr.invalid(`${fld}.format`, c.format, `must be one of ${printerColumnFormats.join(',')}`),
    );
  if (!c.jsonPath) errs.push(fieldErr.required(`${fld}.JSONPath`, ''));
  return errs;
}

function validateSubresources(sr: CRDVersion['subresources'], fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const scale = sr?.scale;
  if (!scale) return errs;
  const check = (name: string, p: string | undefined, under: string[]) => {
    const f = `${fld}.scale.${name}`;
    if (!p) return errs.push(fieldErr.required(f, ''));
    if (!under.some((u) => p.startsWith(u + '.')))
      errs.push(fieldErr.invalid(f, p, `should be a json path under ${under.join(' or ')}`));
    return 0;
  };
  check('specReplicasPath', scale.specReplicasPath, ['.spec']);
  check('statusReplicasPath', scale.statusReplicasPath, ['.status']);
  if (scale.labelSelectorPath !== undefined)
    check('labelSelectorPath', scale.labelSelectorPath, ['.spec', '.status']);
  return errs;
}

/** The full set of errors the apiserver returns for creating `crd`. */
/** apihelpers.IsProtectedCommunityGroup: groups reserved for APIs the Kubernetes project approved. */
const isProtectedGroup = (g: string): boolean =>
  g === 'k8s.io' || g.endsWith('.k8s.io') || g === 'kubernetes.io' || g.endsWith('.kubernetes.io');

const API_APPROVED = 'api-approved.kubernetes.io';
const KEP = 'see https://github.com/kubernetes/enhancements/pull/1111';

/** apihelpers.GetAPIApprovalState: the state and the reason the apiserver words. */
function approvalState(annotations: Record<string, string> | undefined): {
  state: 'missing' | 'bypassed' | 'approved' | 'invalid';
  reason: string;
} {
  const v = annotations?.[API_APPROVED] ?? '';
  if (!v)
    return {
      state: 'missing',
      reason: `protected groups must have approval annotation "${API_APPROVED}", ${KEP}`,
    };
  if (v.startsWith('unapproved')) return { state: 'bypassed', reason: `not approved: ${JSON.stringify(v)}` };
  // url.ParseRequestURI with a scheme and a host.
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#\s]+/.test(v) && !/\s/.test(v))
    return { state: 'approved', reason: `approved in ${v}` };
  return {
    state: 'invalid',
    reason: `protected groups must have approval annotation "${API_APPROVED}" with either a URL or a reason starting with "unapproved", ${KEP}`,
  };
}

/** validateAPIApproval: CRDs in *.k8s.io / *.kubernetes.io need the approval annotation (unless it did not change). */
function validateAPIApproval(crd: CustomResourceDefinition, old?: CustomResourceDefinition): FieldError[] {
  if (!isProtectedGroup(crd.spec?.group ?? '')) return [];
  const next = approvalState(crd.metadata?.annotations);
  if (old && approvalState(old.metadata?.annotations).state === next.state) return [];
  const fld = `metadata.annotations[${API_APPROVED}]`;
  if (next.state === 'missing') return [fieldErr.required(fld, next.reason)];
  if (next.state === 'invalid')
    return [fieldErr.invalid(fld, crd.metadata?.annotations?.[API_APPROVED] ?? '', next.reason)];
  return [];
}

export function validateCustomResourceDefinition(
  crd: CustomResourceDefinition,
  old?: CustomResourceDefinition,
): FieldError[] {
  const spec = crd.spec ?? ({} as CustomResourceDefinition['spec']);
  const names = spec.names ?? ({} as CustomResourceDefinition['spec']['names']);
  const required = `${names.plural ?? ''}.${spec.group ?? ''}`;
  const nameFn = (name: string, prefix: boolean) => {
    const r = nameIsDNSSubdomain(name, prefix);
    if (name !== required) r.push('must be spec.names.plural+"."+spec.group');
    return r;
  };
  const errs = validateObjectMeta(crd.metadata as Record<string, unknown>, false, nameFn);

  if (!spec.group) errs.push(fieldErr.required('spec.group', ''));
  else {
    const e = isDNS1123Subdomain(spec.group);
    if (e.length) errs.push(fieldErr.invalid('spec.group', spec.group, e.join(',')));
    else if (spec.group.split('.').length < 2)
      errs.push(fieldErr.invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
  }
  if (!spec.scope) errs.push(fieldErr.required('spec.scope', ''));
  else if (!['Cluster', 'Namespaced'].includes(spec.scope))
    errs.push(fieldErr.notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']));

  const versions = spec.versions ?? [];
  const schemaHoisted = hoisted(versions, (v) => v.schema?.openAPIV3Schema);
  versions.forEach((v, i) => {
    if (!v.schema?.openAPIV3Schema)
      errs.push(fieldErr.required(`spec.versions[${i}].schema.openAPIV3Schema`, 'schemas are required'));
  });
  const storage = versions.filter((v) => v.storage).length;
  const seen = new Set<string>();
  let unique = true;
  versions.forEach((v, i) => {
    if (seen.has(v.name)) unique = false;
    seen.add(v.name);
    const e = isDNS1035Label(v.name ?? '');
    if (e.length) errs.push(fieldErr.invalid(`spec.versions[${i}].name`, v.name ?? '', e.join(',')));
  });
  if (!unique) errs.push(fieldErr.invalid('spec.versions', versions, 'must contain unique version names'));
  if (storage !== 1)
    errs.push(
      fieldErr.invalid('spec.versions', versions, 'must have exactly one version marked as storage version'),
    );
  if (versions.length === 0) errs.push(fieldErr.required('spec.versions', ''));

  if (!names.plural) errs.push(fieldErr.required('spec.names.plural', ''));
  if (!names.singular) errs.push(fieldErr.required('spec.names.singular', ''));
  if (!names.kind) errs.push(fieldErr.required('spec.names.kind', ''));
  if (!names.listKind) errs.push(fieldErr.required('spec.names.listKind', ''));
  errs.push(...validateNames(names, 'spec.names'));

  errs.push(...validateConversion(crd, old));

  // Per-version (or hoisted) schema, subresources and printer columns.
  const srHoisted = hoisted(versions, (v) => v.subresources);
  const colsHoisted = hoisted(versions, (v) => v.additionalPrinterColumns);
  versions.forEach((v, i) => {
    const vp = `spec.versions[${i}]`;
    const schema = v.schema?.openAPIV3Schema;
    if (schema && (!schemaHoisted || i === 0)) {
      const fld = schemaHoisted ? 'spec.validation.openAPIV3Schema' : `${vp}.schema.openAPIV3Schema`;
      const structural = validateStructuralSchema(schema, fld);
      errs.push(...structural);
      // CEL cost is estimated only over schemas without structural errors, as the apiserver does.
      // On update, a version whose schema is unchanged skips the per-expression limit.
      const unchanged =
        !!old && isDeepStrictEqual(old.spec?.versions?.find((o) => o.name === v.name)?.schema, v.schema);
      if (structural.length === 0) errs.push(...validateCelCost(schema, fld, unchanged));
      if (schema.nullable)
        errs.push(fieldErr.forbidden(`${fld}.nullable`, 'nullable cannot be true at the root'));
    }
    if (v.subresources && (!srHoisted || i === 0))
      errs.push(
        ...validateSubresources(v.subresources, srHoisted ? 'spec.subresources' : `${vp}.subresources`),
      );
    if (v.additionalPrinterColumns && (!colsHoisted || i === 0)) {
      const base = colsHoisted ? 'spec.additionalPrinterColumns' : `${vp}.additionalPrinterColumns`;
      v.additionalPrinterColumns.forEach((c, j) => errs.push(...validateColumn(c, `${base}[${j}]`)));
    }
  });

  const stored = crd.status?.storedVersions ?? [];
  if (stored.length) {
    const sv = versions.find((v) => v.storage);
    if (sv && !stored.includes(sv.name))
      errs.push(
        fieldErr.invalid('status.storedVersions', stored, `must have the storage version ${sv.name}`),
      );
    stored.forEach((s, i) => {
      if (!versions.some((v) => v.name === s))
        errs.push(fieldErr.invalid(`status.storedVersions[${i}]`, s, 'must appear in spec.versions'));
    });
  }
  errs.push(...validateAPIApproval(crd, old));
  return errs;
}

/** ValidateCustomResourceDefinitionUpdate: as create, plus the immutable scope/group rules. */
export function validateCustomResourceDefinitionUpdate(
  crd: CustomResourceDefinition,
  old: CustomResourceDefinition,
): FieldError[] {
  const errs = validateCustomResourceDefinition(crd, old);
  if (crd.spec?.group !== old.spec?.group)
    errs.push(fieldErr.invalid('spec.group', crd.spec?.group ?? '', 'field is immutable'));
  const established = old.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  if (established && crd.spec?.names?.plural !== old.spec?.names?.plural) {
    errs.push(fieldErr.invalid('spec.names.plural', crd.spec?.names?.plural ?? '', 'field is immutable'));
  }
  return errs;
}
