// kplex's NetworkPolicy in every host namespace of a tenant (Tenant spec.policy.networkIsolation):
// the tenant's pods accept traffic only from its own pods (and host namespaces the Tenant names),
// and send it to its own pods, to DNS and to addresses outside the link-local range (the cloud
// metadata service). The tenant never sees it (kplex.io/hidden, reserved name) and its own
// NetworkPolicies apply on top; namespace-objects.ts keeps it there. A CNI that implements
// NetworkPolicy enforces it; without one (kwok) it is an object only.
import type { TenantPolicy } from '../limits/tenant-policy.js';
import { LABEL_TENANT_UID } from '../rewrite/namespace-translator.js';

const NAME_LABEL = 'kubernetes.io/metadata.name';

/** Addresses no tenant pod may send to: link-local (169.254.169.254 is the cloud metadata service). */
const DENIED_EGRESS = { v4: ['169.254.0.0/16'], v6: ['fe80::/10'] };

/** The policy's spec for a tenant (by UID) under its Tenant's policy. */
export function isolationSpec(tenantUid: string, policy: TenantPolicy): Record<string, unknown> {
  const tenant = { namespaceSelector: { matchLabels: { [LABEL_TENANT_UID]: tenantUid } } };
  return {
    podSelector: {},
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      {
        from: [
          tenant,
          ...policy.allowIngressFromHostNamespaces.map((n) => ({
            namespaceSelector: { matchLabels: { [NAME_LABEL]: n } },
          })),
        ],
      },
    ],
    egress: [
      { to: [tenant] },
      {
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      {
        to: [
          { ipBlock: { cidr: '0.0.0.0/0', except: DENIED_EGRESS.v4 } },
          { ipBlock: { cidr: '::/0', except: DENIED_EGRESS.v6 } },
        ],
      },
    ],
  };
}
