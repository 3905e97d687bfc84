// kplex's access to a host namespace it creates (`--host-namespace-role`, the chart's mode): a
// RoleBinding there of the given host ClusterRole to kplex's own host identity. kplex then needs
// no cluster-wide right to tenants' kinds: it reads Secrets and runs pods only in namespaces it
// created (and the chart's admission policy lets it bind nothing else).
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import type { Logger } from '../log/logger.js';
import { LABEL_TENANT_UID } from '../rewrite/namespace-translator.js';
import { hostUser } from '../syncer/webhook-registration.js';

const SA_PREFIX = 'system:serviceaccount:';
/** RBAC reaches the host's authorizer cache within milliseconds; wait at most this long for it. */
const SETTLE_TRIES = 100;

/** The RBAC subject of a host user name (a ServiceAccount's name is `system:serviceaccount:ns:name`). */
function subjectOf(user: string): Record<string, string> {
  if (user.startsWith(SA_PREFIX)) {
    const [namespace = '', name = ''] = user.slice(SA_PREFIX.length).split(':');
    return { kind: 'ServiceAccount', name, namespace };
  }
  return { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user };
}

export function hostNamespaceGrant(
  host: HostClient,
  clusterRole: string,
): (namespace: string) => Promise<void> {
  let me: Promise<string> | undefined;
  const whoAmI = (): Promise<string> => {
    me ??= hostUser(host).then((u) => {
      if (!u) throw new Error('the host did not say who kplex is (SelfSubjectReview)');
      return u;
    });
    me.catch(() => (me = undefined));
    return me;
  };
  // Namespaces granted since this process started: one made by an earlier run (or whose binding a
  // crash cut off) gets its binding on first use, and then costs nothing more.
  const granted = new Set<string>();
  return async (namespace) => {
    if (granted.has(namespace)) return;
    const user = await whoAmI();
    const res = await host.request(
      'POST',
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'kplex', labels: { 'app.kubernetes.io/managed-by': 'kplex' } },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
        subjects: [subjectOf(user)],
      },
    );
    if (res.status === 409) {
      // Bound by an earlier run: the host's authorizer has long had it.
      granted.add(namespace);
      return;
    }
    if (res.status !== 201)
      throw new Error(
        `binding ${clusterRole} in host namespace ${namespace}: ${res.status} ${JSON.stringify(res.body)}`,
      );
    // The first write in the namespace follows at once: wait until the host's authorizer has the binding.
    for (let i = 0; i < SETTLE_TRIES; i++) {
      const review = await host.request<{ status?: { allowed?: boolean } }>(
        'POST',
        '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
        {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { namespace, verb: 'create', resource: 'pods' } },
        },
      );
      if (review.body?.status?.allowed) {
        granted.add(namespace);
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`the host does not yet honour kplex's RoleBinding in ${namespace}`);
  };
}

/**
 * At start, every host namespace of a tenant gets kplex's binding if it lacks it (made by a run
 * without --host-namespace-role, or a crash between the namespace and its binding): reads use a
 * recorded host namespace without passing through its creation. In the background, four at a time.
 */
export async function grantExisting(
  host: HostClient,
  grant: (namespace: string) => Promise<void>,
  logger: Logger,
): Promise<number> {
  let n = 0;
  let cont = '';
  do {
    const q = new URLSearchParams({ labelSelector: LABEL_TENANT_UID, limit: '500' });
    if (cont) q.set('continue', cont);
    const page = await host.must<{ items: KubeObject[]; metadata?: { continue?: string } }>(
      'GET',
      `/api/v1/namespaces?${q.toString()}`,
    );
    const names = page.body.items
      .filter((ns) => !ns.metadata?.deletionTimestamp)
      .map((ns) => ns.metadata?.name ?? '');
    for (let i = 0; i < names.length; i += 4)
      await Promise.all(
        names.slice(i, i + 4).map((name) =>
          grant(name).then(
            () => n++,
            (err: unknown) =>
              logger.warn({ err, namespace: name }, 'binding kplex in a host namespace failed'),
          ),
        ),
      );
    cont = page.body.metadata?.continue ?? '';
  } while (cont);
  return n;
}
