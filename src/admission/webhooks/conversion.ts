// A tenant CRD's conversion webhook (spec.conversion.strategy Webhook), called as
// apiextensions-apiserver's webhook converter calls it, through the same client as the tenant's
// admission webhooks: its own Services only (or a `url:` where the Tenant's policy allows), the
// guard against kplex, the host apiserver and link-local addresses, the caBundle as the only
// trust, 30 s, answers cut at 4 MiB. Objects of one request go in reviews of at most 100 objects
// and about 1 MiB; a failure is the apiserver's 500 `conversion webhook for <gvk> failed: ...`.
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../../api/object.js';
import { isStatusError, statusFailure, type StatusError } from '../../api/status.js';
import {
  checkConverted,
  conversionRequest,
  convertedObjects,
  gvkString,
} from '../../apiextensions/conversion-review.js';
import type { CustomResourceDefinition } from '../../apiextensions/crd-types.js';
import { CUSTOM_RESOURCE_STRATEGY } from '../../apiextensions/crd-resource-info.js';
import type { ResourceInfo } from '../../resources/types.js';
import type { TenantStore } from '../../store/types.js';
import type { ObjectConverter } from '../../registry/converter.js';
import { postReview } from './call.js';
import { resolveTarget, type TargetEnv } from './target.js';
import { CallFailure, type ClientConfig } from './types.js';

/** The apiserver's conversion client timeout (util/webhook defaultRequestTimeout). */
const TIMEOUT_SECONDS = 30;
const MAX_OBJECTS_PER_REVIEW = 100;
const MAX_REVIEW_BYTES = 1024 * 1024;

interface WebhookConversion {
  clientConfig?: ClientConfig;
  conversionReviewVersions?: string[];
}

/** The CRD's webhook, or undefined when its strategy is None. */
function conversionWebhookOf(crd: CustomResourceDefinition): WebhookConversion | undefined {
  const c = crd.spec.conversion;
  return c?.strategy === 'Webhook' ? ((c.webhook ?? {}) as WebhookConversion) : undefined;
}

/** The converter of a custom resource row whose CRD names a conversion webhook, else undefined. */
export function crdConverter(
  store: TenantStore,
  row: ResourceInfo,
  env: () => TargetEnv,
): ObjectConverter | undefined {
  if (row.strategy !== CUSTOM_RESOURCE_STRATEGY) return undefined;
  const crd = store.get({
    group: 'apiextensions.k8s.io',
    resource: 'customresourcedefinitions',
    namespace: '',
    name: `${row.resource}.${row.group}`,
  })?.object as CustomResourceDefinition | undefined;
  return crd && conversionWebhookOf(crd) ? webhookConverter(crd, env) : undefined;
}

/** A 500 with no reason: what the apiserver answers for a conversion error (ErrorToAPIStatus). */
const failed = (message: string): StatusError => statusFailure(500, '', message);

export function webhookConverter(crd: CustomResourceDefinition, env: () => TargetEnv): ObjectConverter {
  const webhook = conversionWebhookOf(crd) ?? {};
  const group = crd.spec.group;
  const gv = (v: string): string => `${group}/${v}`;
  const valid = new Set(crd.spec.versions.map((v) => gv(v.name)));
  const storage = crd.spec.versions.find((v) => v.storage)?.name ?? crd.spec.versions[0]?.name ?? '';

  /** One review of `batch` (objects not yet in `to`), checked; `gvk` names the input in messages. */
  async function review(batch: KubeObject[], to: string, single: boolean): Promise<KubeObject[]> {
    const first = batch[0]!;
    const gvk = single
      ? gvkString(String(first.apiVersion ?? ''), String(first.kind ?? ''))
      : gvkString(String(first.apiVersion ?? ''), `${String(first.kind ?? '')}List`);
    const prefix = `conversion webhook for ${gvk}`;
    const uid = randomUUID();
    let answer: unknown;
    let sent;
    try {
      sent = conversionRequest(webhook.conversionReviewVersions ?? [], batch, to, uid);
    } catch (err) {
      throw failed((err as Error).message);
    }
    try {
      const target = await resolveTarget(webhook.clientConfig ?? {}, env());
      answer = await postReview(target, sent.body, TIMEOUT_SECONDS);
    } catch (err) {
      if (isStatusError(err)) throw err;
      // client-go's words: `Post "<url>?timeout=30s": <why>` (admission's ErrCallingWebhook prefix dropped).
      const why = (err instanceof CallFailure ? err.message : (err as Error).message).replace(
        /^failed to call webhook: /,
        '',
      );
      throw failed(`${prefix} failed: ${why}`);
    }
    let objects: unknown[];
    try {
      objects = convertedObjects(uid, sent, answer);
    } catch (err) {
      throw failed(`${prefix} failed: ${(err as Error).message}`);
    }
    if (objects.length !== batch.length)
      throw failed(`${prefix} returned ${objects.length} objects, expected ${batch.length}`);
    return batch.map((original, i) => {
      try {
        return checkConverted(original, objects[i], to, { single, index: i });
      } catch (err) {
        throw failed(`${prefix} ${(err as Error).message}`);
      }
    });
  }

  return {
    storageVersion: gv(storage),
    async convert(objects, to) {
      if (!valid.has(to)) throw failed(`request to convert CR to an invalid group/version: ${to}`);
      const out = [...objects];
      const pending: number[] = [];
      for (let i = 0; i < objects.length; i++) {
        const from = String(objects[i]!.apiVersion ?? '');
        if (from === to) continue;
        if (!valid.has(from)) throw failed(`request to convert CR from an invalid group/version: ${from}`);
        pending.push(i);
      }
      const single = objects.length === 1;
      // Reviews of a bounded size, one after another: a tenant's LIST never opens many calls at once.
      for (let start = 0; start < pending.length;) {
        const idx: number[] = [];
        let bytes = 0;
        while (start < pending.length && idx.length < MAX_OBJECTS_PER_REVIEW) {
          const size = JSON.stringify(objects[pending[start]!]).length;
          if (idx.length > 0 && bytes + size > MAX_REVIEW_BYTES) break;
          bytes += size;
          idx.push(pending[start++]!);
        }
        const converted = await review(
          idx.map((i) => objects[i]!),
          to,
          single,
        );
        idx.forEach((i, k) => (out[i] = converted[k]!));
      }
      return out;
    },
  };
}
