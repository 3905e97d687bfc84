// Registers the pod webhook on the host (server-side apply of one MutatingWebhookConfiguration,
// re-asserted at every start so the URL and CA follow kplex): pods CREATE and UPDATE,
// pods/ephemeralcontainers, only in host namespaces kplex manages (its tenant UID label),
// failurePolicy Fail (a tenant pod is never admitted untranslated).
import type { HostClient } from '../hostapi/host-client.js';
import { ANNOTATION_ADMISSION_DRY_RUN } from './pod-wiring.js';

export const WEBHOOK_CONFIGURATION = 'kplex-pods';

export interface Registration {
  /** The HTTPS URL the host apiserver posts to. */
  url: string;
  /** PEM of the CA that verifies kplex's serving certificate. */
  caCert: string;
  /** kplex's own host user: a pod UPDATE is translated only when kplex sends it (a tenant's view). */
  kplexUser?: string;
}

/** How long the host waits for kplex's pod webhook (the tenant's pod webhooks end before). */
export const POD_WEBHOOK_TIMEOUT_SECONDS = 10;

export function webhookConfiguration(r: Registration): Record<string, unknown> {
  const updatesByKplex = r.kplexUser
    ? [
        {
          name: 'tenant-updates-only',
          // Host controllers' pod updates (GC, adoption, finalizers) never wait on kplex. An update
          // of the pod itself has no subResource key: reading it unguarded is a CEL error, which
          // failurePolicy Fail turned into a refusal of every such update (the GC could not orphan
          // or release a tenant's pods).
          expression: `request.operation != 'UPDATE' || (has(request.subResource) && request.subResource == 'ephemeralcontainers') || request.userInfo.username == ${JSON.stringify(r.kplexUser)}`,
        },
        {
          name: 'not-kplex-admission-dry-run',
          // kplex's admission dry run judges the tenant's view, which undoes the translation: the
          // webhook call there cost a third of a pod create through kplex. Every read is guarded
          // (an unset field is a CEL error, and failurePolicy Fail would refuse the pod).
          expression: `!(request.operation == 'CREATE' && has(request.dryRun) && request.dryRun == true && request.userInfo.username == ${JSON.stringify(r.kplexUser)} && has(object.metadata.annotations) && ${JSON.stringify(ANNOTATION_ADMISSION_DRY_RUN)} in object.metadata.annotations)`,
        },
      ]
    : [];
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: WEBHOOK_CONFIGURATION, labels: { 'app.kubernetes.io/managed-by': 'kplex' } },
    webhooks: [
      {
        name: 'pods.kplex.io',
        clientConfig: { url: r.url, caBundle: Buffer.from(r.caCert).toString('base64') },
        rules: [
          {
            operations: ['CREATE', 'UPDATE'],
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['pods', 'pods/ephemeralcontainers'],
            scope: 'Namespaced',
          },
        ],
        namespaceSelector: { matchExpressions: [{ key: 'kplex.io/tenant-uid', operator: 'Exists' }] },
        matchConditions: updatesByKplex,
        failurePolicy: 'Fail',
        sideEffects: 'NoneOnDryRun',
        admissionReviewVersions: ['v1'],
        reinvocationPolicy: 'IfNeeded',
        timeoutSeconds: POD_WEBHOOK_TIMEOUT_SECONDS,
      },
    ],
  };
}

/** The host user kplex acts as (SelfSubjectReview), if the host says. */
export async function hostUser(host: Pick<HostClient, 'request'>): Promise<string | undefined> {
  const res = await host.request<{ status?: { userInfo?: { username?: string } } }>(
    'POST',
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  );
  return res.status === 201 ? res.body.status?.userInfo?.username : undefined;
}

export async function registerPodWebhook(host: Pick<HostClient, 'request'>, r: Registration): Promise<void> {
  const res = await host.request(
    'PATCH',
    `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${WEBHOOK_CONFIGURATION}?fieldManager=kplex&force=true`,
    webhookConfiguration(r),
    'application/apply-patch+yaml',
  );
  if (res.status >= 300)
    throw new Error(`registering the pod webhook: ${res.status} ${JSON.stringify(res.body)}`);
}
