// Validating admission policies for host-backed writes. The host applies defaults and its own
// validation, so the object a policy judges must be the host's: when (and only when) a bound
// policy's rules cover the request, kplex reads the current object, sends the write as a dry run,
// and evaluates the tenant's policies on the results (both seen in the tenant's names) before the
// real write goes out. Writes no policy covers cost nothing extra.
import type { KubeObject } from '../api/object.js';
import type { RequestInfo } from '../api/request-info.js';
import type { Operation } from '../admission/policy/attributes.js';
import type { HostParamReader } from '../admission/policy/params.js';
import type { ValidatingPolicies } from '../admission/policy/validating-policies.js';
import { selectorMatches } from '../api/labels.js';
import type { ResourceInfo } from '../resources/types.js';
import type { UserInfo } from '../registry/strategy.js';
import type { NamespaceMap } from '../rewrite/namespace-translator.js';
import { bodyToVirtual } from '../rewrite/object-rewrite.js';
import type { HostClient } from '../hostapi/host-client.js';
import { type HostCall, callHost, hostPath, readJSON } from '../hostapi/host-request.js';

const OPERATIONS: Record<string, Operation> = {
  create: 'CREATE',
  update: 'UPDATE',
  patch: 'UPDATE',
  delete: 'DELETE',
};
const OPTIONS_KIND: Record<Operation, string> = {
  CREATE: 'CreateOptions',
  UPDATE: 'UpdateOptions',
  DELETE: 'DeleteOptions',
  CONNECT: 'ConnectOptions',
};

async function hostObject(
  host: HostClient,
  c: HostCall,
  map: NamespaceMap,
): Promise<{ code: number; obj?: KubeObject }> {
  const r = await callHost(host, c);
  const body = await readJSON(r);
  if (r.statusCode >= 300 || typeof body !== 'object' || body === null) return { code: r.statusCode };
  bodyToVirtual(body, map);
  return { code: r.statusCode, obj: body as KubeObject };
}

/** Reads params of host-backed kinds (e.g. ConfigMaps) in the tenant's names. */
export function hostParamReader(host: HostClient, map: NamespaceMap): HostParamReader {
  return async (row, namespace, ref) => {
    const h = namespace === undefined ? undefined : map.hostOf(namespace);
    if (row.namespaced && !h) return [];
    const path = hostPath(row, { namespace: h, name: ref.name });
    const r = await hostObject(host, { method: 'GET', path, accept: 'application/json' }, map);
    if (r.code === 404) return [];
    if (!r.obj) throw new Error(`reading params: host answered ${r.code}`);
    const items = (r.obj as { items?: KubeObject[] }).items ?? [];
    return ref.name ? [r.obj] : items.filter((o) => selectorMatches(ref.selector ?? {}, o.metadata?.labels));
  };
}

export interface HostWrite {
  host: HostClient;
  policies: ValidatingPolicies;
  row: ResourceInfo;
  info: RequestInfo;
  user: UserInfo;
  map: NamespaceMap;
  hostNamespace: string | undefined;
  /** The write as it will be sent to the host. */
  call: HostCall;
}

/** Judges a host-backed write by the tenant's policies: the warnings to add; throws the denial. */
export async function admitHostWrite(w: HostWrite): Promise<string[]> {
  const { info, row } = w;
  let operation = OPERATIONS[info.verb];
  if (!operation) return [];
  const attrs = {
    operation,
    resource: { group: row.group, version: row.version, resource: row.resource },
    subresource: info.subresource,
    kind: { group: row.group, version: row.version, kind: row.kind },
    namespace: info.namespace,
    name: info.name,
    object: null as KubeObject | null,
    oldObject: null as KubeObject | null,
    user: w.user,
    dryRun: (w.call.query?.getAll('dryRun') ?? []).length > 0,
    options: { kind: OPTIONS_KIND[operation], apiVersion: 'meta.k8s.io/v1' } as Record<string, unknown>,
  };
  // PUT and apply-patch create what does not exist yet: decide after reading the current object.
  if (
    !w.policies.mayApply(attrs) &&
    !(operation === 'UPDATE' && w.policies.mayApply({ ...attrs, operation: 'CREATE' }))
  )
    return [];

  if (operation !== 'CREATE') {
    const current = await hostObject(
      w.host,
      {
        method: 'GET',
        path: hostPath(row, { namespace: w.hostNamespace, name: info.name, subresource: info.subresource }),
        accept: 'application/json',
      },
      w.map,
    );
    if (current.code === 404 && operation === 'UPDATE') operation = 'CREATE';
    else if (!current.obj) return []; // the write itself will fail the same way
    attrs.oldObject = current.obj ?? null;
  }
  attrs.operation = operation;
  if (!w.policies.mayApply(attrs)) return [];
  if (operation !== 'DELETE') {
    const query = new URLSearchParams(w.call.query);
    query.set('dryRun', 'All');
    const dry = await hostObject(w.host, { ...w.call, query, accept: 'application/json' }, w.map);
    if (!dry.obj) return []; // refused by the host: the real write gets the host's own error
    attrs.object = dry.obj;
  }
  attrs.name ||= attrs.object?.metadata?.name ?? '';
  return w.policies.admit(attrs, hostParamReader(w.host, w.map));
}
