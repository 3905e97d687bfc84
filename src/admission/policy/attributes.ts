// `request` in validating admission policy expressions, from the admission attributes.
import type { AdmissionAttributes } from '../attributes.js';

/** `request` in policy expressions: admissionv1.AdmissionRequest as CreateAdmissionRequest fills it. */
export function admissionRequest(a: AdmissionAttributes): Record<string, unknown> {
  const kind = { group: a.kind.group, version: a.kind.version, kind: a.kind.kind };
  const resource = { group: a.resource.group, version: a.resource.version, resource: a.resource.resource };
  return {
    kind,
    resource,
    subResource: a.subresource,
    requestKind: kind,
    requestResource: resource,
    requestSubResource: a.subresource,
    name: a.name,
    namespace: a.resource.resource === 'namespaces' && !a.resource.group ? '' : a.namespace,
    operation: a.operation,
    userInfo: {
      username: a.user.username,
      uid: a.user.uid ?? '',
      groups: a.user.groups ?? [],
      extra: a.user.extra ?? {},
    },
    dryRun: a.dryRun,
    options: a.options ?? null,
  };
}
