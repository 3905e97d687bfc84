// Duplicate fields in a passthrough body. kplex re-serializes bodies to rewrite namespaces, which
// drops duplicate keys before the host can see them; the apiserver would report them under
// fieldValidation. So kplex applies the directive to the duplicates it found itself:
// Strict refuses (with the host's own unknown-field findings, from a dry run, in the same message),
// Warn adds `duplicate field` warnings, Ignore drops them.
import { badRequest } from '../api/status.js';
import type { HostClient } from '../hostapi/host-client.js';
import { callHost, type HostCall, readJSON } from '../hostapi/host-request.js';

export type FieldValidationDirective = 'Strict' | 'Warn' | 'Ignore';

/** The directive of a write: the query parameter, or the apiserver's default (Warn). */
export function fieldValidationOf(q: URLSearchParams): FieldValidationDirective {
  const v = q.get('fieldValidation');
  return v === 'Strict' || v === 'Ignore' ? v : 'Warn';
}

/**
 * Under Strict, refuses a body with duplicate fields (`decodeErrors` as decodeBody words them) before anything is written: a dry run on
 * the host collects its strict-decoding findings (unknown fields), then one 400 names both, in
 * the apiserver's order (unknown, then duplicate).
 */
export async function refuseDuplicates(
  host: HostClient,
  call: HostCall,
  kind: string,
  version: string,
  decodeErrors: string[],
): Promise<never> {
  const q = new URLSearchParams(call.query);
  q.set('dryRun', 'All');
  const res = await callHost(host, { ...call, query: q });
  const body = (await readJSON(res)) as { message?: string } | undefined;
  const found = /strict decoding error: (.*)$/s.exec(body?.message ?? '')?.[1];
  const all = [...(found ? [found] : []), ...decodeErrors].join(', ');
  throw badRequest(
    `${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${all}`,
  );
}
