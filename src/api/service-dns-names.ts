// A Service's name in the cluster's DNS domain, `<svc>.<ns>.svc.cluster.local` (an ExternalName
// Service naming another Service): its namespace label is a namespace name like any
// namespace-bearing field, translated both ways (rewrite/namespace-translator.ts) so the host's DNS
// resolves it in the tenant's host namespace. The rest (case, a trailing dot) stays as written:
// the host's validation judges it as a real apiserver would, and a read gives back what was written.

/** The cluster's DNS domain, as the host's DNS and kplex's tenant DNS serve it. */
export const CLUSTER_DOMAIN = 'cluster.local';

/** `<svc>.<ns>.svc.<domain>`, optionally absolute; every label but the namespace in any case. */
const SERVICE_NAME = new RegExp(
  `^([^.]+)\\.([^.]+)(\\.svc\\.${CLUSTER_DOMAIN.replace('.', '\\.')}\\.?)$`,
  'i',
);

/** The Service and namespace labels of a Service's DNS name, undefined for any other name. */
export function serviceDnsName(name: string): { service: string; namespace: string } | undefined {
  const m = SERVICE_NAME.exec(name);
  return m ? { service: m[1]!, namespace: m[2]! } : undefined;
}

/** `name` with its namespace label replaced by `to(label)`; any other name as it is. */
export function withServiceNamespace(name: string, to: (ns: string) => string): string {
  const m = SERVICE_NAME.exec(name);
  return m ? `${m[1]}.${to(m[2]!)}${m[3]}` : name;
}
