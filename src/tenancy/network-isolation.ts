// kplex's NetworkPolicy in every host namespace of a tenant (Tenant spec.policy.networkIsolation):
// the tenant's pods accept traffic only from its own pods (and host namespaces the Tenant names),
// and send it to its own pods, to DNS, to kplex (its API and DNS addresses) and to addresses other
// than the host's nodes and the link-local range (the cloud metadata service). The tenant never
// sees it (kplex.io/hidden, reserved name) and its own NetworkPolicies apply on top; namespace-objects.ts
// keeps it there. A CNI that implements NetworkPolicy enforces it; without one (kwok) it is an object
// only (test/integration/network-policy-engine.test.ts judges it with cyclonus's engine).
import net from 'node:net';
import { LINK_LOCAL } from '../admission/network-claims.js';
import type { TenantPolicy } from '../limits/tenant-policy.js';
import { LABEL_TENANT_UID } from '../rewrite/namespace-translator.js';

const NAME_LABEL = 'kubernetes.io/metadata.name';

/** Addresses no tenant pod may send to: link-local (169.254.169.254 is the cloud metadata service). */
const DENIED_EGRESS = LINK_LOCAL;

/** Where kplex listens for tenant pods (its API; its DNS), kept reachable whatever else is excepted. */
export interface KplexEndpoint {
  ip: string;
  port: number;
  protocol: 'TCP' | 'UDP';
}

/** What the policy depends on beyond the Tenant: the nodes' addresses and kplex's own. */
export interface IsolationFacts {
  /** InternalIP/ExternalIP of every host node: the kubelet and host-network pods listen there. */
  nodeAddresses: readonly string[];
  kplex: readonly KplexEndpoint[];
}

const NO_FACTS: IsolationFacts = { nodeAddresses: [], kplex: [] };
const single = (ip: string): string => (net.isIPv6(ip) ? `${ip}/128` : `${ip}/32`);

/** The policy's spec for a tenant (by UID) under its Tenant's policy. */
export function isolationSpec(
  tenantUid: string,
  policy: TenantPolicy,
  facts: IsolationFacts = NO_FACTS,
): Record<string, unknown> {
  const tenant = { namespaceSelector: { matchLabels: { [LABEL_TENANT_UID]: tenantUid } } };
  const nodes = [...new Set(facts.nodeAddresses.filter((a) => net.isIP(a)).map(single))].sort();
  const kplex = new Map<string, { protocol: string; port: number }[]>();
  for (const e of facts.kplex)
    if (net.isIP(e.ip)) kplex.set(e.ip, [...(kplex.get(e.ip) ?? []), { protocol: e.protocol, port: e.port }]);
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
          {
            ipBlock: {
              cidr: '0.0.0.0/0',
              except: [...DENIED_EGRESS.v4, ...nodes.filter((c) => !c.includes(':'))],
            },
          },
          {
            ipBlock: { cidr: '::/0', except: [...DENIED_EGRESS.v6, ...nodes.filter((c) => c.includes(':'))] },
          },
        ],
      },
      // kplex may listen on a node's address (hostNetwork) or a link-local one: only its ports open.
      ...[...kplex].map(([ip, ports]) => ({ to: [{ ipBlock: { cidr: single(ip) } }], ports })),
    ],
  };
}
