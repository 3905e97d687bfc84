// Calling a tenant's webhooks for one write (webhook/mutating/dispatcher.go and
// webhook/validating/dispatcher.go): mutating webhooks one after another, each JSONPatch applied
// to the object the next one sees, those with reinvocationPolicy IfNeeded called once more when a
// later webhook changed the object; then the validating webhooks, all at once. failurePolicy
// decides what a failure to call does; a webhook with side effects refuses a dry run.
import type { KubeObject } from '../../api/object.js';
import { internalError, isStatusError } from '../../api/status.js';
import { jsonPatch } from '../../patch/index.js';
import type { AdmissionAttributes } from '../attributes.js';
import { callingFailed, denial, dryRunUnsupported } from './errors.js';
import { type Equivalent, type Invocation, rulesInvocation, selectorsMatch } from './match.js';
import { conditionsMatch } from './conditions.js';
import { reviewRequest, verifyResponse } from './review.js';
import { postReview } from './call.js';
import { resolveTarget, type TargetEnv } from './target.js';
import { CallFailure, type Hook } from './types.js';

export interface DispatchEnv extends TargetEnv {
  /** When every call must have ended (epoch ms): the host's own timeout on kplex's pod webhook. */
  deadline?: number;
  equivalents: (a: AdmissionAttributes) => Equivalent[];
  namespaceLabels: (ns: string) => Record<string, string> | undefined;
}

/** ShouldCallHook: the invocation, or undefined when the webhook does not apply. */
function shouldCall(h: Hook, a: AdmissionAttributes, env: DispatchEnv): Invocation | undefined {
  const inv = rulesInvocation(h.webhook, a, env.equivalents);
  if (!inv || !selectorsMatch(h.webhook, a, env.namespaceLabels)) return undefined;
  return conditionsMatch(h.webhook, a) ? inv : undefined;
}

type Outcome = { warnings: string[]; patch?: unknown[] };

/** One call: the answer, or the Status it ends in (a failure under Ignore: an empty outcome). */
async function callHook(
  h: Hook,
  a: AdmissionAttributes,
  inv: Invocation,
  env: DispatchEnv,
  mutating: boolean,
): Promise<Outcome> {
  const w = h.webhook;
  const name = w.name ?? '';
  if (a.dryRun && w.sideEffects !== 'None' && w.sideEffects !== 'NoneOnDryRun') throw dryRunUnsupported(name);
  try {
    const target = await resolveTarget(w.clientConfig ?? {}, env);
    const review = reviewRequest(a, inv);
    const answer = await postReview(target, review.body, w.timeoutSeconds ?? 10, env.deadline);
    const r = verifyResponse(review.uid, mutating, answer);
    if (!r.allowed) throw denial(name, r.result);
    return { warnings: r.warnings, patch: r.patch };
  } catch (err) {
    if (isStatusError(err)) throw err;
    const why =
      err instanceof CallFailure ? err.message : `failed to call webhook: ${(err as Error).message}`;
    if (w.failurePolicy === 'Ignore') return { warnings: [] };
    throw callingFailed(name, why);
  }
}

/** Replaces the object's content with the patched one; whether anything changed. */
function applyPatch(a: AdmissionAttributes, webhook: string, ops: unknown[]): boolean {
  if (!ops.length) return false;
  const obj = a.object;
  if (!obj)
    throw internalError(
      new Error(
        `admission webhook "${webhook}" attempted to modify the object, which is not supported for this operation`,
      ),
    );
  let patched: KubeObject;
  try {
    patched = jsonPatch(obj, ops);
  } catch (err) {
    throw callingFailed(webhook, `applying the patch: ${(err as Error).message}`);
  }
  // The identity of the write is the request's, not the webhook's to change.
  patched.apiVersion = obj.apiVersion;
  patched.kind = obj.kind;
  if ((patched.metadata?.namespace ?? '') !== (obj.metadata?.namespace ?? ''))
    throw callingFailed(webhook, 'attempted to change metadata.namespace');
  const before = JSON.stringify(obj);
  if (JSON.stringify(patched) === before) return false;
  // In place, metadata included: the caller holds references to both.
  const meta = obj.metadata;
  if (meta && patched.metadata) {
    for (const k of Object.keys(meta)) delete (meta as Record<string, unknown>)[k];
    patched.metadata = Object.assign(meta, patched.metadata);
  }
  for (const k of Object.keys(obj)) delete (obj as Record<string, unknown>)[k];
  Object.assign(obj, patched);
  a.mutated = true;
  return true;
}

export async function dispatchMutating(
  hooks: Hook[],
  a: AdmissionAttributes,
  env: DispatchEnv,
): Promise<string[]> {
  const warnings: string[] = [];
  let previouslyInvoked = new Set<string>();
  let reinvoke = new Set<string>();
  for (const round of [0, 1]) {
    if (round === 1 && !reinvoke.size) break;
    for (const h of hooks) {
      if (round === 1 && !reinvoke.has(h.uid)) continue;
      const inv = shouldCall(h, a, env);
      if (!inv) continue;
      const out = await callHook(h, a, inv, env, true);
      warnings.push(...out.warnings);
      if (out.patch && applyPatch(a, h.webhook.name ?? '', out.patch)) {
        // Everything called before this change sees the object again (IfNeeded ones only).
        if (round === 0) reinvoke = new Set([...reinvoke, ...previouslyInvoked]);
        previouslyInvoked = new Set();
      }
      if (h.webhook.reinvocationPolicy === 'IfNeeded') previouslyInvoked.add(h.uid);
    }
  }
  return warnings;
}

export async function dispatchValidating(
  hooks: Hook[],
  a: AdmissionAttributes,
  env: DispatchEnv,
): Promise<string[]> {
  const calls = hooks.flatMap((h) => {
    const inv = shouldCall(h, a, env);
    return inv ? [callHook(h, a, inv, env, false)] : [];
  });
  const settled = await Promise.allSettled(calls);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.flatMap((s) => (s.status === 'fulfilled' ? s.value.warnings : []));
}
