// Webhook configurations and the tenant Service that fronts a test webhook server: a selectorless
// Service made through kplex, and its Endpoints written on the host in the tenant's host namespace
// (the host refuses loopback Endpoints, and tenants may only name their own pods' addresses).
import { kubectlOk } from './kubectl.js';
import type { WebhookServer } from './webhook-server.js';

export interface HookSpec {
  name: string;
  path: string;
  resources: { group: string; version?: string; resource: string }[];
  operations?: string[];
  service?: { namespace: string; name: string; port?: number };
  url?: string;
  caBundle?: string;
  failurePolicy?: 'Fail' | 'Ignore';
  sideEffects?: string;
  timeoutSeconds?: number;
  namespaceSelector?: Record<string, unknown>;
  objectSelector?: Record<string, unknown>;
  matchPolicy?: string;
  reinvocationPolicy?: string;
  matchConditions?: { name: string; expression: string }[];
}

function webhook(h: HookSpec, mutating: boolean): Record<string, unknown> {
  return {
    name: h.name,
    admissionReviewVersions: ['v1'],
    sideEffects: h.sideEffects ?? 'None',
    failurePolicy: h.failurePolicy ?? 'Fail',
    timeoutSeconds: h.timeoutSeconds ?? 5,
    clientConfig: {
      ...(h.url ? { url: `${h.url}${h.path}` } : { service: { ...h.service!, path: h.path } }),
      ...(h.caBundle ? { caBundle: h.caBundle } : {}),
    },
    rules: h.resources.map((r) => ({
      apiGroups: [r.group],
      apiVersions: [r.version ?? '*'],
      resources: [r.resource],
      operations: h.operations ?? ['CREATE', 'UPDATE'],
    })),
    ...(h.namespaceSelector ? { namespaceSelector: h.namespaceSelector } : {}),
    ...(h.objectSelector ? { objectSelector: h.objectSelector } : {}),
    ...(h.matchPolicy ? { matchPolicy: h.matchPolicy } : {}),
    ...(h.matchConditions ? { matchConditions: h.matchConditions } : {}),
    ...(mutating ? { reinvocationPolicy: h.reinvocationPolicy ?? 'Never' } : {}),
  };
}

export function webhookConfiguration(kind: 'Validating' | 'Mutating', name: string, hooks: HookSpec[]) {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: `${kind}WebhookConfiguration`,
    metadata: { name },
    webhooks: hooks.map((h) => webhook(h, kind === 'Mutating')),
  };
}

/** The host namespace of a tenant's virtual namespace. */
export function hostNamespace(hostKubeconfig: string, tenant: string, ns: string): string {
  const selector = `kplex.io/tenant=${tenant},kplex.io/namespace=${ns}`;
  for (let i = 0; i < 100; i++) {
    const name = kubectlOk(hostKubeconfig, [
      'get',
      'ns',
      '-l',
      selector,
      '-o',
      'jsonpath={.items[0].metadata.name}',
    ]).trim();
    if (name) return name;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  throw new Error(`no host namespace for ${tenant}/${ns}`);
}

/** A tenant Service `name` in `ns` (port 443) whose Endpoints point at `at` (written on the host). */
export function exposeWebhook(
  o: { tenantKubeconfig: string; hostKubeconfig: string; tenant: string; ns: string; name: string },
  at: Pick<WebhookServer, 'ip' | 'port'>,
): void {
  kubectlOk(
    o.tenantKubeconfig,
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: o.name, namespace: o.ns },
      spec: { ports: [{ port: 443, targetPort: at.port }] },
    }),
  );
  const hostNs = hostNamespace(o.hostKubeconfig, o.tenant, o.ns);
  kubectlOk(
    o.hostKubeconfig,
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: o.name, namespace: hostNs },
      subsets: [{ addresses: [{ ip: at.ip }], ports: [{ port: at.port }] }],
    }),
  );
}
