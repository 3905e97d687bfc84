// spec.conversion of a CRD as apiextensions validation (validateCustomResourceConversion, v1.32)
// checks it, with the internal version's field names the apiserver reports
// (`spec.conversion.webhookClientConfig`, `spec.conversion.conversionReviewVersions`).
import { goSlice } from '../api/field-errors.js';
import { fieldErr } from '../api/field-errors.js';
import { isDNS1035Label } from '../api/name-validation.js';
import { isObject } from '../api/object.js';
import type { FieldError } from '../api/status.js';
import { validateWebhookService, validateWebhookURL } from '../api/webhook-client-config.js';
import type { CustomResourceDefinition } from './crd-types.js';

const ACCEPTED = ['v1', 'v1beta1'];
const FLD = 'spec.conversion';

interface Webhook {
  clientConfig?: {
    url?: string;
    service?: { name?: string; namespace?: string; path?: string; port?: number };
  };
  conversionReviewVersions?: string[];
}

const webhookOf = (crd: CustomResourceDefinition | undefined): Webhook | undefined => {
  const w = crd?.spec?.conversion?.webhook;
  return isObject(w) ? (w as Webhook) : undefined;
};

/** A recognized review version is required on create, and on update unless the old CRD lacked one. */
function requireRecognized(old: CustomResourceDefinition | undefined): boolean {
  const versions = webhookOf(old)?.conversionReviewVersions ?? [];
  return !old || versions.length === 0 || versions.some((v) => ACCEPTED.includes(v));
}

function reviewVersions(versions: string[], recognized: boolean): FieldError[] {
  const fld = `${FLD}.conversionReviewVersions`;
  if (versions.length < 1) return [fieldErr.required(fld, '')];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    if (seen.has(v)) return void errs.push(fieldErr.invalid(`${fld}[${i}]`, v, 'duplicate version'));
    seen.add(v);
    for (const m of isDNS1035Label(v)) errs.push(fieldErr.invalid(`${fld}[${i}]`, v, m));
  });
  if (recognized && !versions.some((v) => ACCEPTED.includes(v)))
    errs.push(
      fieldErr.invalid(
        fld,
        goSlice('string', versions),
        `must include at least one of ${ACCEPTED.join(', ')}`,
      ),
    );
  return errs;
}

export function validateConversion(
  crd: CustomResourceDefinition,
  old: CustomResourceDefinition | undefined,
): FieldError[] {
  const conversion = crd.spec?.conversion;
  if (!conversion) return [];
  const strategy = conversion.strategy ?? 'None';
  if (!['None', 'Webhook'].includes(strategy))
    return [fieldErr.notSupported(`${FLD}.strategy`, strategy, ['None', 'Webhook'])];
  const webhook = webhookOf(crd);
  const cc = webhook?.clientConfig;
  const versions = Array.isArray(webhook?.conversionReviewVersions) ? webhook.conversionReviewVersions : [];
  const errs: FieldError[] = [];
  if (strategy !== 'Webhook') {
    if (cc)
      errs.push(
        fieldErr.forbidden(
          `${FLD}.webhookClientConfig`,
          'should not be set when strategy is not set to Webhook',
        ),
      );
    if (versions.length)
      errs.push(
        fieldErr.forbidden(
          `${FLD}.conversionReviewVersions`,
          'should not be set when strategy is not set to Webhook',
        ),
      );
    return errs;
  }
  if (!isObject(cc))
    errs.push(fieldErr.required(`${FLD}.webhookClientConfig`, 'required when strategy is set to Webhook'));
  else if ((typeof cc.url === 'string') === isObject(cc.service))
    errs.push(fieldErr.required(`${FLD}.webhookClientConfig`, 'exactly one of url or service is required'));
  else if (typeof cc.url === 'string')
    errs.push(...validateWebhookURL(cc.url, `${FLD}.webhookClientConfig.url`));
  else errs.push(...validateWebhookService(cc.service!, `${FLD}.webhookClientConfig.service`));
  errs.push(...reviewVersions(versions, requireRecognized(old)));
  return errs;
}
