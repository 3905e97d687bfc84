// Policy parameters (generic.CollectParams): the objects a binding's paramRef names, read where
// their kind lives — the tenant's store for virtual kinds, the host (through a reader the host
// passthrough supplies) for host-backed kinds.
import type { KubeObject } from '../../api/object.js';
import { selectorMatches } from '../../api/labels.js';
import type { ResourceInfo } from '../../resources/types.js';
import type { TenantStore } from '../../store/types.js';
import type { ParamRef } from './types.js';

/** Reads host-backed params: objects of `row` in virtual namespace `namespace` (or cluster-wide). */
export type HostParamReader = (
  row: ResourceInfo,
  namespace: string | undefined,
  ref: ParamRef,
) => Promise<KubeObject[]>;

export interface ParamSources {
  store: () => TenantStore;
  /** The served row of a paramKind (apiVersion + kind), if the tenant has one. */
  rowForKind: (apiVersion: string, kind: string) => ResourceInfo | undefined;
  host?: HostParamReader;
}

export function storeParams(
  store: TenantStore,
  row: ResourceInfo,
  namespace: string | undefined,
  ref: ParamRef,
): KubeObject[] {
  const key = {
    group: row.group,
    resource: row.resource,
    namespace: row.namespaced ? (namespace ?? '') : '',
  };
  if (ref.name) {
    const s = store.get({ ...key, name: ref.name });
    return s ? [s.object] : [];
  }
  return store
    .list({ group: row.group, resource: row.resource, namespace: row.namespaced ? namespace : undefined })
    .items.map((s) => s.object)
    .filter((o) => selectorMatches(ref.selector ?? {}, o.metadata?.labels));
}

/** The params of one binding for one request: [null] when the policy takes none; errors are configuration errors. */
export async function collectParams(
  src: ParamSources,
  paramKind: { apiVersion?: string; kind?: string } | undefined,
  ref: ParamRef | undefined,
  requestNamespace: string,
): Promise<(KubeObject | null)[]> {
  if (!paramKind || !ref) return [null];
  const row = src.rowForKind(paramKind.apiVersion ?? '', paramKind.kind ?? '');
  if (!row || (row.placement !== 'virtual' && (row.placement !== 'host' || !src.host)))
    throw new Error(
      `paramKind kind \`${paramKind.apiVersion ?? ''}, Kind=${paramKind.kind ?? ''}\` not known`,
    );
  let namespace: string | undefined;
  if (row.namespaced) {
    namespace = ref.namespace || requestNamespace;
    if (!namespace)
      throw new Error(
        'cannot use namespaced paramRef in policy binding that matches cluster-scoped resources',
      );
  } else if (ref.namespace) {
    throw new Error('paramRef.namespace must not be provided for a cluster-scoped `paramKind`');
  }
  if (ref.name && ref.selector) throw new Error('paramRef.name and paramRef.selector are mutually exclusive');
  if (!ref.name && !ref.selector) throw new Error('one of name or selector must be provided');
  const params =
    row.placement === 'virtual'
      ? storeParams(src.store(), row, namespace, ref)
      : await src.host!(row, namespace, ref);
  if (params.length === 0 && ref.parameterNotFoundAction === 'Deny')
    throw new Error('no params found for policy binding with `Deny` parameterNotFoundAction');
  return params;
}
