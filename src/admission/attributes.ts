// What every admission plugin sees of a write (k8s.io/apiserver pkg/admission.Attributes): the
// operation, the resource as addressed, the objects before and after, who asks, and how. ONE
// builder makes them for virtual and host-backed writes alike.
import type { KubeObject } from '../api/object.js';
import type { RequestInfo } from '../api/request-info.js';
import type { UserInfo } from '../registry/strategy.js';
import type { ResourceInfo } from '../resources/types.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  operation: Operation;
  resource: { group: string; version: string; resource: string };
  subresource: string;
  kind: { group: string; version: string; kind: string };
  /** Empty for cluster-scoped objects; a Namespace's own name for namespaces. */
  namespace: string;
  name: string;
  /** The object as it would be stored (null on DELETE, and before it is known). */
  object: KubeObject | null;
  /** The stored object (null on CREATE, and before it is known). */
  oldObject: KubeObject | null;
  user: UserInfo;
  dryRun: boolean;
  /** CreateOptions / UpdateOptions / DeleteOptions as CEL's `request.options`. */
  options?: Record<string, unknown>;
  /** Set when the mutation phase changed `object` (the caller validates or writes it again). */
  mutated?: boolean;
}

const OPTIONS_KIND: Record<Operation, string> = {
  CREATE: 'CreateOptions',
  UPDATE: 'UpdateOptions',
  DELETE: 'DeleteOptions',
  CONNECT: 'ConnectOptions',
};

export interface AttributesInput {
  row: ResourceInfo;
  info: RequestInfo;
  user: UserInfo;
  operation: Operation;
  object: KubeObject | null;
  oldObject: KubeObject | null;
  dryRun: boolean;
  fieldManager?: string;
  /** The options kind when it is not the operation's (a patch: UpdateOptions even when it creates). */
  optionsKind?: string;
}

export function admissionAttributes(i: AttributesInput): AdmissionAttributes {
  const { row, info } = i;
  const name = info.name || i.object?.metadata?.name || i.oldObject?.metadata?.name || '';
  const own = (i.object ?? i.oldObject)?.metadata?.namespace ?? '';
  const isNamespace = row.resource === 'namespaces' && !row.group;
  return {
    operation: i.operation,
    resource: { group: row.group, version: row.version, resource: row.resource },
    subresource: info.subresource,
    kind: { group: row.group, version: row.version, kind: row.kind },
    namespace: row.namespaced ? info.namespace || own : isNamespace ? name : '',
    name,
    object: i.object,
    oldObject: i.oldObject,
    user: i.user,
    dryRun: i.dryRun,
    options: {
      kind: i.optionsKind ?? OPTIONS_KIND[i.operation],
      apiVersion: 'meta.k8s.io/v1',
      ...(i.dryRun ? { dryRun: ['All'] } : {}),
      ...(i.fieldManager ? { fieldManager: i.fieldManager } : {}),
    },
  };
}
