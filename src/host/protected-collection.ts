// A tenant's deletecollection of a kind that holds objects the tenant may not delete (kplex's own
// ResourceQuotas, LimitRange and isolation NetworkPolicy, an operator's objects labelled
// kplex.io/operator-owned). A real cluster cannot grant a deletecollection that spares some names
// (RBAC authorizes it per collection), so a collection that includes such an object is refused
// whole with the 403 the object's own delete gets, and nothing is deleted. kplex's hidden objects
// are never shown to the tenant, so they never refuse: they are only left out. Either way the
// host's delete excludes them by selector, whatever changed since the check.
import type { KubeList } from '../api/object.js';
import { forbidden } from '../api/status.js';
import {
  KPLEX_OWNED,
  KPLEX_OWNED_REASON,
  OPERATOR_KINDS,
  OPERATOR_OWNED_LABEL,
  OPERATOR_OWNED_REASON,
} from '../admission/reserved-names.js';
import type { HostClient } from '../hostapi/host-client.js';
import { hostPath } from '../hostapi/host-request.js';
import type { ResourceInfo } from '../resources/types.js';
import { HIDDEN_LABEL } from '../rewrite/object-rewrite.js';

/** Refuses the deletecollection, or narrows its host query (`hostQuery`) to what the tenant may delete. */
export async function guardProtectedCollection(
  host: HostClient,
  row: ResourceInfo,
  hostQuery: URLSearchParams,
  hostNamespaces: readonly (string | undefined)[],
): Promise<void> {
  const key = `${row.group}/${row.resource}`;
  const names = KPLEX_OWNED[key] ?? [];
  const operator = OPERATOR_KINDS.has(key);
  if (!names.length && !operator) return;
  const gr = { group: row.group, resource: row.resource };
  const selectors = new URLSearchParams();
  for (const k of ['labelSelector', 'fieldSelector']) {
    const v = hostQuery.get(k);
    if (v) selectors.set(k, v);
  }
  for (const ns of hostNamespaces) {
    if (ns === undefined) continue;
    const r = await host.request<KubeList>('GET', `${hostPath(row, { namespace: ns })}?${selectors}`);
    if (r.status !== 200) continue; // the host answers the delete itself (a bad selector: its 400)
    for (const o of r.body.items) {
      const labels = o.metadata?.labels ?? {};
      if (labels[HIDDEN_LABEL]) continue;
      const name = o.metadata?.name ?? '';
      if (names.includes(name)) throw forbidden(gr, name, KPLEX_OWNED_REASON);
      if (operator && labels[OPERATOR_OWNED_LABEL] === 'true')
        throw forbidden(gr, name, OPERATOR_OWNED_REASON);
    }
  }
  const and = (k: string, extra: string[]) =>
    hostQuery.set(k, [hostQuery.get(k) ?? '', ...extra].filter(Boolean).join(','));
  if (names.length)
    and(
      'fieldSelector',
      names.map((n) => `metadata.name!=${n}`),
    );
  if (operator) and('labelSelector', [`${OPERATOR_OWNED_LABEL}!=true`]);
}
