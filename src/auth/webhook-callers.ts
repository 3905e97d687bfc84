// Who may call the host's pod webhook: only the host apiserver, which authenticates to webhooks
// with the client certificate its --admission-control-config-file names (the kubeConfigFile of
// the WebhookAdmissionConfiguration). Its answer tells which tenant owns a host namespace and the
// namespace's virtual name, so any other caller (a tenant, its client certificate, the internet)
// is refused before its body is read. Safe by default: with no trusted CA configured, no one may
// call, unless the insecure development switch says anyone may.
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { statusFailure, unauthorized, type StatusError } from '../api/status.js';
import type { Logger } from '../log/logger.js';
import { X509Certificate } from '../pki/certs.js';
import { verifyClientCertificate } from './client-certs.js';
import { peerCertificate } from './credentials.js';

/** Resolves the refusal to answer, or undefined when the caller may call. */
export type WebhookCallerCheck = (req: IncomingMessage) => Promise<StatusError | undefined>;

export interface WebhookCallerOptions {
  /** PEM (one or more certificates) of the CA(s) that sign the host apiserver's webhook client certificate. */
  caPem?: string;
  /** Anyone may call (development only): the webhook answers whoever reaches kplex's port. */
  insecureAnyCaller?: boolean;
}

/** How long a connection's verdict stands (a certificate can expire while its connection lives). */
const VERDICT_MS = 60_000;

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle; throws when there are none (a misconfiguration, not a caller's fault). */
export function parseCABundle(pem: string): X509Certificate[] {
  const cas = (pem.match(PEM_CERT) ?? []).map((block) => new X509Certificate(block));
  if (!cas.length) throw new Error('the webhook client CA file holds no PEM certificate');
  return cas;
}

export function webhookCallers(o: WebhookCallerOptions): WebhookCallerCheck {
  if (o.caPem) {
    const cas = parseCABundle(o.caPem);
    // A connection's client certificate is fixed by its handshake: its verdict (a signature check,
    // ~4 ms on a busy core, most of a webhook call) is kept per connection for VERDICT_MS, so the
    // apiserver's keep-alive connection pays it once, not on every pod.
    const verdicts = new WeakMap<object, { at: number; ok: Promise<boolean> }>();
    return async (req) => {
      const now = Date.now();
      let v = verdicts.get(req.socket);
      if (!v || now - v.at > VERDICT_MS) {
        const der = peerCertificate(req);
        // Same verdict as the apiserver's x509 authenticator: a chain to the trusted CA, valid now,
        // usable for client auth, with a CN. Anything else is an anonymous caller.
        v = {
          at: now,
          ok: der ? verifyClientCertificate(der, cas).then((u) => u !== undefined) : Promise.resolve(false),
        };
        verdicts.set(req.socket, v);
      }
      return (await v.ok) ? undefined : unauthorized();
    };
  }
  if (o.insecureAnyCaller) return async () => undefined;
  const refused = (): StatusError =>
    statusFailure(
      403,
      'Forbidden',
      'the pod webhook trusts no caller: kplex serve has no --webhook-client-ca',
    );
  return async () => refused();
}

/** The check `kplex serve` configures: the CA file of --webhook-client-ca, read once at start. */
export function webhookCallersFromFile(
  o: { caFile?: string; insecureAnyCaller?: boolean },
  logger: Logger,
): WebhookCallerCheck {
  if (o.caFile) return webhookCallers({ caPem: readFileSync(o.caFile, 'utf8') });
  if (o.insecureAnyCaller)
    logger.warn('--insecure-webhook-any-caller: anyone who reaches kplex may call the pod webhook');
  else
    logger.warn(
      'no --webhook-client-ca: the pod webhook refuses every call, so tenant pods are not admitted',
    );
  return webhookCallers({ insecureAnyCaller: o.insecureAnyCaller === true });
}
