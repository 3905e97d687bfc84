// admissionregistration/v1 and flowcontrol/v1 defaulting (pkg/apis/*/v1/defaults.go and the
// generated SetObjectDefaults_*), applied whenever a body is decoded or an object read.
import { isObject } from '../api/object.js';
import type { KubeObject } from '../api/object.js';
import { asArray } from './field-errors.js';

type Obj = Record<string, unknown>;

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

/** SetDefaults_Rule on every rule (RuleWithOperations embeds Rule). */
function defaultRules(rules: unknown): void {
  for (const r of asArray(rules)) if (isObject(r)) setDefault(r, 'scope', '*');
}

function defaultMatchResources(mc: unknown): void {
  if (!isObject(mc)) return;
  setDefault(mc, 'matchPolicy', 'Equivalent');
  setDefault(mc, 'namespaceSelector', {});
  setDefault(mc, 'objectSelector', {});
  defaultRules(mc['resourceRules']);
  defaultRules(mc['excludeResourceRules']);
}

/** SetObjectDefaults_{Mutating,Validating}WebhookConfiguration. */
export function defaultWebhookConfiguration(obj: KubeObject, mutating: boolean): void {
  for (const hook of asArray(obj['webhooks'])) {
    if (!isObject(hook)) continue;
    setDefault(hook, 'failurePolicy', 'Fail');
    setDefault(hook, 'matchPolicy', 'Equivalent');
    setDefault(hook, 'namespaceSelector', {});
    setDefault(hook, 'objectSelector', {});
    setDefault(hook, 'timeoutSeconds', 10);
    if (mutating) setDefault(hook, 'reinvocationPolicy', 'Never');
    const cc = hook['clientConfig'];
    if (isObject(cc) && isObject(cc['service'])) setDefault(cc['service'], 'port', 443);
    defaultRules(hook['rules']);
  }
}

export function defaultValidatingAdmissionPolicy(obj: KubeObject): void {
  if (!isObject(obj['spec'])) obj['spec'] = {};
  const spec = obj['spec'] as Obj;
  setDefault(spec, 'failurePolicy', 'Fail');
  defaultMatchResources(spec['matchConstraints']);
}

export function defaultValidatingAdmissionPolicyBinding(obj: KubeObject): void {
  if (isObject(obj['spec'])) defaultMatchResources(obj['spec']['matchResources']);
}

/** flowcontrol/v1 SetDefaults_FlowSchemaSpec (0 means unset for a non-pointer int32). */
export function defaultFlowSchema(obj: KubeObject): void {
  if (!isObject(obj['spec'])) obj['spec'] = {};
  const spec = obj['spec'] as Obj;
  if (!spec['matchingPrecedence']) spec['matchingPrecedence'] = 1000;
}

/** flowcontrol/v1 defaults of Exempt, Limited and Queuing configurations. */
export function defaultPriorityLevelConfiguration(obj: KubeObject): void {
  const spec = obj['spec'];
  if (!isObject(spec)) return;
  const exempt = spec['exempt'];
  if (isObject(exempt)) {
    setDefault(exempt, 'nominalConcurrencyShares', 0);
    setDefault(exempt, 'lendablePercent', 0);
  }
  const limited = spec['limited'];
  if (!isObject(limited)) return;
  setDefault(limited, 'nominalConcurrencyShares', 30);
  setDefault(limited, 'lendablePercent', 0);
  const lr = limited['limitResponse'];
  const q = isObject(lr) ? lr['queuing'] : undefined;
  if (isObject(q)) {
    if (!q['handSize']) q['handSize'] = 8;
    if (!q['queues']) q['queues'] = 64;
    if (!q['queueLengthLimit']) q['queueLengthLimit'] = 50;
  }
}
