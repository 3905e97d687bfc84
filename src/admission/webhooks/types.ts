// The parts of a tenant's Mutating/ValidatingWebhookConfiguration (admissionregistration/v1) that
// dispatching reads. Stored objects passed validation (admission/webhook-validation.ts), but are
// still read defensively: every field may be absent.
import type { LabelSelectorShape } from '../../api/labels.js';

export interface WebhookRule {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: string;
}

export interface ClientConfig {
  url?: string;
  service?: { namespace?: string; name?: string; path?: string; port?: number };
  /** Base64 PEM. */
  caBundle?: string;
}

export interface Webhook {
  name?: string;
  clientConfig?: ClientConfig;
  rules?: WebhookRule[];
  failurePolicy?: string;
  matchPolicy?: string;
  namespaceSelector?: LabelSelectorShape;
  objectSelector?: LabelSelectorShape;
  sideEffects?: string;
  timeoutSeconds?: number;
  admissionReviewVersions?: string[];
  reinvocationPolicy?: string;
  matchConditions?: { name?: string; expression?: string }[];
}

/** One webhook of one configuration, in dispatch order. */
export interface Hook {
  /** `<configuration>/<index>`: what reinvocation remembers a webhook by. */
  uid: string;
  configuration: string;
  webhook: Webhook;
}

/** Where one call goes, resolved (target.ts). */
export interface Target {
  ip: string;
  port: number;
  /** The TLS name the certificate must carry (`<svc>.<ns>.svc`, or the URL's host). */
  serverName: string;
  path: string;
  /** The URL as the apiserver would show it, in the tenant's names (for messages). */
  display: string;
  /** PEM of the caBundle; undefined: the system roots. */
  ca?: string;
}

/** A failure to get an answer, worded as client-go words it (the reason of ErrCallingWebhook). */
export class CallFailure extends Error {}
