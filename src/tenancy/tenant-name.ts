// The one rule for tenant names, used by `kplex tenant create`, `kplex kubeconfig`, tenant
// resolution and (as a CEL rule generated from the same lists) the Tenant CRD's schema.
// A tenant name is a DNS label short enough that `<tenant>-<namespace>` host names stay readable,
// and never one that could collide with what Kubernetes or kplex names for itself: kplex's own host
// namespaces (kplex-system, the unmapped-namespace placeholder kplex-none-...) start with `kplex-`,
// so no tenant's host namespace (`<tenant>-...`) can ever be one of them.

export const TENANT_NAME_MAX = 40;
export const TENANT_NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** Names no tenant may take. */
export const RESERVED_TENANT_NAMES: readonly string[] = [
  'kplex',
  'kube',
  'kubernetes',
  'system',
  'default',
  'none',
];
/** Prefixes no tenant name may start with (Kubernetes' and kplex's own namespace prefixes). */
export const RESERVED_TENANT_PREFIXES: readonly string[] = ['kplex-', 'kube-', 'kubernetes-', 'system-'];

const LABEL = new RegExp(TENANT_NAME_PATTERN);

/** Why `name` is not a valid tenant name; empty when it is. */
export function tenantNameErrors(name: string): string[] {
  if (name.length === 0) return ['a tenant name must not be empty'];
  const errs: string[] = [];
  if (name.length > TENANT_NAME_MAX) errs.push(`must be no more than ${TENANT_NAME_MAX} characters`);
  if (!LABEL.test(name))
    errs.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
    );
  if (RESERVED_TENANT_NAMES.includes(name)) errs.push(`"${name}" is reserved`);
  const prefix = RESERVED_TENANT_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) errs.push(`the prefix "${prefix}" is reserved`);
  return errs;
}

export function validTenantName(name: string): boolean {
  return tenantNameErrors(name).length === 0;
}

/** The same rule as a CEL expression over `self.metadata.name`, for the Tenant CRD. */
export function tenantNameCelRule(): string {
  const names = RESERVED_TENANT_NAMES.map((n) => `'${n}'`).join(', ');
  const prefixes = RESERVED_TENANT_PREFIXES.map((p) => `self.metadata.name.startsWith('${p}')`).join(' || ');
  return `!(self.metadata.name in [${names}]) && !(${prefixes})`;
}

export const TENANT_NAME_CEL_MESSAGE = `tenant names ${RESERVED_TENANT_NAMES.join(', ')} and names starting with ${RESERVED_TENANT_PREFIXES.join(', ')} are reserved`;

/** A tenant name that passed the rule above: only `tenantName` makes one. */
export type TenantName = string & { readonly __brand: 'TenantName' };

/** The name as a TenantName, or undefined when it breaks the rule. */
export function tenantName(name: string): TenantName | undefined {
  return validTenantName(name) ? (name as TenantName) : undefined;
}
