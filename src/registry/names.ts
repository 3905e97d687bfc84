// Object name validation and generateName, as apimachinery's validation and
// k8s.io/apiserver/pkg/storage/names do it.
import type { FieldError } from '../api/status.js';

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123Label = new RegExp(`^${dns1123LabelFmt}$`);
const dns1123Subdomain = new RegExp(`^${dns1123LabelFmt}(\\.${dns1123LabelFmt})*$`);

const subdomainMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

export type NameRule = 'dns1123-subdomain' | 'dns1123-label' | 'path-segment';

/** Errors of IsValidPathSegmentName: names used in a URL path. */
export function pathSegmentErrors(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

function nameErrors(name: string, rule: NameRule, prefix: boolean): string[] {
  // A generateName prefix is validated with its trailing '-' removed, as MaskTrailingDash does.
  const n = prefix && name.length > 1 && name.endsWith('-') ? name.slice(0, -1) : name;
  if (rule === 'path-segment') return pathSegmentErrors(n);
  const errs: string[] = [];
  const max = rule === 'dns1123-label' ? 63 : 253;
  if (n.length > max) errs.push(`must be no more than ${max} characters`);
  const re = rule === 'dns1123-label' ? dns1123Label : dns1123Subdomain;
  if (!re.test(n)) errs.push(rule === 'dns1123-label' ? labelMsg : subdomainMsg);
  return errs;
}

/** ValidateObjectMeta's name/generateName part. */
export function validateObjectName(meta: { name?: string; generateName?: string }, rule: NameRule): FieldError[] {
  const out: FieldError[] = [];
  if (meta.generateName) {
    for (const msg of nameErrors(meta.generateName, rule, true)) {
      out.push({ type: 'FieldValueInvalid', field: 'metadata.generateName', value: meta.generateName, detail: msg });
    }
  }
  if (!meta.name) {
    out.push({ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' });
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
