// A webhook's clientConfig as util/webhook validates it (ValidateWebhookURL with forceHttps,
// ValidateWebhookService): shared by admission webhook configurations and CRD conversion webhooks.
import { fieldErr } from './field-errors.js';
import { isDNS1123Subdomain } from './name-validation.js';
import type { FieldError } from './status.js';

export function validateWebhookURL(raw: string, fld: string): FieldError[] {
  const form = '; desired format: https://host[/path]';
  let u: URL;
  try {
    u = new URL(raw);
  } catch (e) {
    return [
      fieldErr.required(fld, `url must be a valid URL: ${e instanceof Error ? e.message : String(e)}${form}`),
    ];
  }
  const errs: FieldError[] = [];
  const scheme = u.protocol.replace(/:$/, '');
  if (scheme !== 'https')
    errs.push(fieldErr.invalid(fld, scheme, `'https' is the only allowed URL scheme${form}`));
  if (u.host.length === 0) errs.push(fieldErr.invalid(fld, u.host, `host must be specified${form}`));
  if (u.username || u.password)
    errs.push(
      fieldErr.invalid(
        fld,
        u.password ? `${u.username}:${u.password}` : u.username,
        'user information is not permitted in the URL',
      ),
    );
  if (u.hash.length > 1)
    errs.push(fieldErr.invalid(fld, u.hash.slice(1), 'fragments are not permitted in the URL'));
  if (u.search.length > 1)
    errs.push(fieldErr.invalid(fld, u.search.slice(1), 'query parameters are not permitted in the URL'));
  return errs;
}

export function validateWebhookService(
  svc: { name?: string; namespace?: string; path?: string; port?: number },
  fld: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!svc.name) errs.push(fieldErr.required(`${fld}.name`, 'service name is required'));
  if (!svc.namespace) errs.push(fieldErr.required(`${fld}.namespace`, 'service namespace is required'));
  const port = svc.port ?? 443;
  if (!(port >= 1 && port <= 65535))
    errs.push(
      fieldErr.invalid(`${fld}.port`, port, 'port is not valid: must be between 1 and 65535, inclusive'),
    );
  const path = svc.path;
  if (path === undefined || path === '/' || path === '') return errs;
  if (path === '//') return [...errs, fieldErr.invalid(`${fld}.path`, path, 'segment[0] may not be empty')];
  if (!path.startsWith('/')) errs.push(fieldErr.invalid(`${fld}.path`, path, "must start with a '/'"));
  let check = path.slice(1);
  if (check.endsWith('/')) check = check.slice(0, -1);
  check.split('/').forEach((step, i) => {
    if (step.length === 0) errs.push(fieldErr.invalid(`${fld}.path`, path, `segment[${i}] may not be empty`));
    else
      for (const m of isDNS1123Subdomain(step))
        errs.push(fieldErr.invalid(`${fld}.path`, path, `segment[${i}]: ${m}`));
  });
  return errs;
}
