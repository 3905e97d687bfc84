// The host's mutating admission webhook for tenant pods (registered by webhook-registration.ts):
// every pod the host admits in a kplex-managed namespace, created through kplex or by a host
// controller (ReplicaSet, Job, StatefulSet...), is translated here (pod-translate.ts). Only the
// host apiserver may call (`caller`): the answer names a namespace's tenant and virtual name.
// Its input is still checked as hostile; the answer is a patch of the posted object and has no
// side effect beyond the namespace's CA ConfigMap.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isObject } from '../api/object.js';
import { writeError, writeJSON } from '../api/respond.js';
import { isStatusError, toStatusError, type StatusError } from '../api/status.js';
import { RESERVATION_ANNOTATION } from '../limits/tenant-quota.js';
import { readBody } from '../handlers/body.js';
import type { Logger } from '../log/logger.js';
import {
  parsePodAdmission,
  reviewResponse,
  translationPatch,
  type PodAdmission,
} from './admission-review.js';
import { CAConfigMapError, type CAConfigMaps } from './ca-configmap.js';
import type { NamespaceTarget, NamespaceTargets } from './namespace-targets.js';
import type { Obj } from './pod-wiring.js';
import { translatePod } from './pod-translate.js';
import { isTranslatedPod } from './pod-view.js';
import { hostFormUpdate, injectedNameserver } from './pod-dns.js';

/** Where the host apiserver posts AdmissionReviews (no tenant prefix: not a tenant API path). */
export const POD_WEBHOOK_PATH = '/kplex/webhooks/v1/pods';
/** An UPDATE carries object and oldObject (a pod is at most ~1.5 MB in etcd). */
const MAX_REVIEW_BYTES = 8 * 1024 * 1024;

export interface PodWebhookDeps {
  /** Refuses any caller but the host apiserver (auth/webhook-callers.ts), before the body is read. */
  caller: (req: IncomingMessage) => Promise<StatusError | undefined>;
  targets: NamespaceTargets;
  caConfigMaps: CAConfigMaps;
  /** Where pods reach kplex. */
  api: () => { host: string; port: number };
  /** Where pods reach kplex's DNS (undefined: pods keep the host's DNS settings). */
  dnsServer: () => string | undefined;
  /** Audiences the host apiserver accepts: a tenant pod may not ask for a token of those. */
  hostAudiences: () => readonly string[];
  logger: Logger;
  /**
   * The tenant's own admission webhooks for a pod the host admits on someone else's request than
   * kplex's (a host controller's: a tenant's Deployment, Job...): kplex's own pod writes passed
   * them already. The pod in host form, mutated; or the denial.
   */
  tenantAdmission?: (target: NamespaceTarget, review: PodAdmission) => Promise<TenantPodVerdict>;
  /** kplex's own host user (undefined until known: then every creator counts as someone else). */
  kplexUser?: () => string | undefined;
  /**
   * The tenant-wide quota (tenancy/tenant-quota-ledger.ts): reserves a pod create, whoever makes
   * it, and returns the reservation's id; throws the quota's refusal.
   */
  quota?: (r: {
    tenant: string;
    hostNamespace: string;
    name: string;
    pod: Obj;
    dryRun: boolean;
    reservation?: string;
  }) => Promise<string | undefined>;
}

export interface TenantPodVerdict {
  /** The pod as the tenant's mutating webhooks left it, in host form (undefined: unchanged). */
  object?: Obj;
  denied?: { code: number; message: string };
}

export function podWebhook(d: PodWebhookDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const refused = await d.caller(req);
    if (refused) {
      // Its body is never read: the connection closes after the answer instead of draining it.
      res.shouldKeepAlive = false;
      req.resume();
      d.logger.debug({ code: refused.code, address: req.socket.remoteAddress }, 'pod webhook caller refused');
      writeError(res, refused);
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      return writeJSON(res, 405, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        code: 405,
        reason: 'MethodNotAllowed',
        message: 'POST an AdmissionReview',
      });
    }
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, MAX_REVIEW_BYTES)).toString('utf8'));
    } catch (err) {
      const st = toStatusError(err).status;
      return writeJSON(
        res,
        st.code === 413 ? 413 : 400,
        st.code === 413
          ? st
          : {
              kind: 'Status',
              apiVersion: 'v1',
              status: 'Failure',
              code: 400,
              reason: 'BadRequest',
              message: 'the body is not JSON',
            },
      );
    }
    const review = parsePodAdmission(body);
    if (typeof review === 'string')
      return writeJSON(res, 400, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        code: 400,
        reason: 'BadRequest',
        message: review,
      });
    try {
      writeJSON(res, 200, await answer(d, review));
    } catch (err) {
      // failurePolicy Fail: the host refuses the pod and says why; never admitted untranslated.
      d.logger.error({ err, namespace: review.namespace }, 'pod webhook failed');
      writeJSON(
        res,
        200,
        reviewResponse(review.uid, {
          denied: { code: 500, message: 'kplex could not translate the pod; try again' },
        }),
      );
    }
  };
}

async function answer(d: PodWebhookDeps, r: PodAdmission): Promise<Record<string, unknown>> {
  const target = r.namespace ? await d.targets.of(r.namespace) : undefined;
  if (!target) return reviewResponse(r.uid, {});
  // A pod admitted before kplex translated pods stays as it was (its spec is immutable).
  const ephemeral = r.subResource === 'ephemeralcontainers';
  if (r.operation === 'UPDATE' && !ephemeral && !(r.oldObject && isTranslatedPod(r.oldObject)))
    return reviewResponse(r.uid, {});
  if (r.operation !== 'CREATE' && r.operation !== 'UPDATE') return reviewResponse(r.uid, {});
  // The translation starts from the pod as the tenant's webhooks left it; the patch still turns
  // the posted pod into the result.
  let source = r.object;
  if (
    r.operation === 'CREATE' &&
    !ephemeral &&
    d.tenantAdmission &&
    r.userInfo?.username !== d.kplexUser?.()
  ) {
    const verdict = await d.tenantAdmission(target, r);
    if (verdict.denied) return reviewResponse(r.uid, { denied: verdict.denied });
    if (verdict.object) source = verdict.object;
  }
  const api = d.api();
  // dnsPolicy and dnsConfig are immutable: an update keeps what the pod was created with.
  const dnsServer = r.operation === 'UPDATE' ? r.oldObject && injectedNameserver(r.oldObject) : d.dnsServer();
  const { pod, refused } = translatePod(
    source,
    { ...target, apiHost: api.host, apiPort: api.port, ...(dnsServer ? { dnsServer } : {}) },
    d.hostAudiences(),
  );
  if (r.operation === 'UPDATE' && r.oldObject) hostFormUpdate(pod, r.object, r.oldObject, target.namespace);
  if (refused.length) {
    const msg = refused
      .map((x) => `${x.field}: Forbidden: the audience "${x.audience}" is reserved by the cluster`)
      .join(', ');
    return reviewResponse(r.uid, { denied: { code: 403, message: msg } });
  }
  if (r.operation === 'CREATE' && !r.dryRun) {
    try {
      await d.caConfigMaps.ensure(r.namespace);
    } catch (err) {
      // The tenant's own quota has no room for the CA ConfigMap: refused as a quota error would
      // be, naming the tenant's quota (never kplex's ConfigMap); anything else fails the pod (500).
      const quota = err instanceof CAConfigMapError ? err.quota : undefined;
      if (!quota) throw err;
      const meta = r.object['metadata'];
      const name = isObject(meta) ? meta['name'] : undefined;
      const what = typeof name === 'string' && name ? `pods "${name}"` : 'pods';
      return reviewResponse(r.uid, { denied: { code: 403, message: `${what} is forbidden: ${quota}` } });
    }
  }
  if (r.operation === 'CREATE' && !ephemeral && d.quota) {
    const meta = isObject(pod['metadata']) ? pod['metadata'] : (pod['metadata'] = {});
    const annotations = isObject(meta['annotations']) ? meta['annotations'] : (meta['annotations'] = {});
    const held = annotations[RESERVATION_ANNOTATION];
    try {
      const id = await d.quota({
        tenant: target.tenant,
        hostNamespace: r.namespace,
        name: typeof meta['name'] === 'string' ? meta['name'] : '',
        pod,
        dryRun: r.dryRun,
        ...(typeof held === 'string' ? { reservation: held } : {}),
      });
      // The host's watch finds the pod's reservation by this annotation (a pod of a controller has no name yet).
      if (id) annotations[RESERVATION_ANNOTATION] = id;
      else delete annotations[RESERVATION_ANNOTATION];
    } catch (err) {
      if (!isStatusError(err)) throw err;
      return reviewResponse(r.uid, { denied: { code: err.code, message: err.status.message ?? '' } });
    }
  }
  return reviewResponse(r.uid, { patch: translationPatch(r.object, pod) });
}
