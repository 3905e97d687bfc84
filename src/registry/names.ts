// Object name validation and generateName, as apimachinery's validation and
// k8s.io/apiserver/pkg/storage/names do it.
import { nameIsDNSLabel, nameIsDNSSubdomain, validatePathSegmentName } from '../api/name-validation.js';
import type { FieldError } from '../api/status.js';

export type NameRule = 'dns1123-subdomain' | 'dns1123-label' | 'path-segment';

const NAME_FUNCS: Record<NameRule, (name: string, prefix: boolean) => string[]> = {
  'dns1123-subdomain': nameIsDNSSubdomain,
  'dns1123-label': nameIsDNSLabel,
  'path-segment': validatePathSegmentName,
};

const nameErrors = (name: string, rule: NameRule, prefix: boolean): string[] =>
  NAME_FUNCS[rule](name, prefix);

/** ValidateObjectMeta's name/generateName part. */
export function validateObjectName(
  meta: { name?: string; generateName?: string },
  rule: NameRule,
): FieldError[] {
  const out: FieldError[] = [];
  if (meta.generateName) {
    for (const msg of nameErrors(meta.generateName, rule, true)) {
      out.push({
        type: 'FieldValueInvalid',
        field: 'metadata.generateName',
        value: meta.generateName,
        detail: msg,
      });
    }
  }
  if (!meta.name) {
    out.push({
      type: 'FieldValueRequired',
      field: 'metadata.name',
      detail: 'name or generateName is required',
    });
  } else {
    for (const msg of nameErrors(meta.name, rule, false)) {
      out.push({ type: 'FieldValueInvalid', field: 'metadata.name', value: meta.name, detail: msg });
    }
  }
  return out;
}

const alphanums = 'bcdfghjklmnpqrstvwxz2456789';
const maxGeneratedNameLength = 63 - 5;

/** names.SimpleNameGenerator: base (cut to 58 characters) plus 5 random characters. */
export function generateName(base: string): string {
  const b = base.length > maxGeneratedNameLength ? base.slice(0, maxGeneratedNameLength) : base;
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += alphanums[Math.floor(Math.random() * alphanums.length)];
  return b + suffix;
}
