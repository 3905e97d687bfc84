// What validating admission policies see of a write (k8s.io/apiserver admission.Attributes): the
// operation, the resource as addressed, the objects before and after, who asks, and how.
import type { KubeObject } from '../../api/object.js';
import type { UserInfo } from '../../registry/strategy.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  operation: Operation;
  resource: { group: string; version: string; resource: string };
  subresource: string;
  kind: { group: string; version: string; kind: string };
  /** Empty for cluster-scoped objects; a Namespace's own name for namespaces. */
  namespace: string;
  name: string;
  /** The object as it would be stored (null on DELETE). */
  object: KubeObject | null;
  /** The stored object (null on CREATE). */
  oldObject: KubeObject | null;
  user: UserInfo;
  dryRun: boolean;
  /** CreateOptions / UpdateOptions / DeleteOptions as CEL's `request.options`. */
  options?: Record<string, unknown>;
}

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
