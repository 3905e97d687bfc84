// admissionregistration.k8s.io/v1 and flowcontrol.apiserver.k8s.io/v1 kinds as virtual,
// cluster-scoped resources of a tenant: v1 defaulting, the apiserver's validation, status only
// through /status. Stored and served only: kplex does not (yet) call the webhooks or evaluate
// the policies, and flow-control objects do not shape request handling.
import type { KubeObject } from '../api/object.js';
import type { FieldError } from '../api/status.js';
import { validateAnnotations, validateLabels } from '../apiextensions/index.js';
import type { FullStrategy, StrategyContext } from '../registry/strategy.js';
import {
  defaultFlowSchema,
  defaultPriorityLevelConfiguration,
  defaultValidatingAdmissionPolicy,
  defaultValidatingAdmissionPolicyBinding,
  defaultWebhookConfiguration,
} from './defaults.js';
import { validateFlowSchema, validatePriorityLevelConfiguration } from './flowcontrol-validation.js';
import { builtinPatchSchema } from './patch-schema.js';
import { validateValidatingAdmissionPolicy, validateValidatingAdmissionPolicyBinding } from './policy-validation.js';
import { validateWebhookConfiguration } from './webhook-validation.js';

export const ADMISSION_GROUP = 'admissionregistration.k8s.io';
export const FLOWCONTROL_GROUP = 'flowcontrol.apiserver.k8s.io';

/** What differs between the six kinds; everything else is shared. */
export interface AdmissionKind {
  resource: string;
  group: string;
  kind: string;
  /** The kind has a status subresource (status reset on create, kept on spec updates). */
  status: boolean;
  /** PUT without resourceVersion (flow control: true). */
  unconditionalUpdate: boolean;
  defaults(obj: KubeObject): void;
  validate(obj: KubeObject): FieldError[];
  /** Validation of a /status write (defaults to none). */
  validateStatus?(obj: KubeObject): FieldError[];
}

export const ADMISSION_KINDS: readonly AdmissionKind[] = [
  {
    resource: 'mutatingwebhookconfigurations',
    group: ADMISSION_GROUP,
    kind: 'MutatingWebhookConfiguration',
    status: false,
    unconditionalUpdate: false,
    defaults: (o) => defaultWebhookConfiguration(o, true),
    validate: (o) => validateWebhookConfiguration(o, true),
  },
  {
    resource: 'validatingwebhookconfigurations',
    group: ADMISSION_GROUP,
    kind: 'ValidatingWebhookConfiguration',
    status: false,
    unconditionalUpdate: false,
    defaults: (o) => defaultWebhookConfiguration(o, false),
    validate: (o) => validateWebhookConfiguration(o, false),
  },
  {
    resource: 'validatingadmissionpolicies',
    group: ADMISSION_GROUP,
    kind: 'ValidatingAdmissionPolicy',
    status: true,
    unconditionalUpdate: false,
    defaults: defaultValidatingAdmissionPolicy,
    validate: validateValidatingAdmissionPolicy,
  },
  {
    resource: 'validatingadmissionpolicybindings',
    group: ADMISSION_GROUP,
    kind: 'ValidatingAdmissionPolicyBinding',
    status: false,
    unconditionalUpdate: false,
    defaults: defaultValidatingAdmissionPolicyBinding,
    validate: validateValidatingAdmissionPolicyBinding,
  },
  {
    resource: 'flowschemas',
    group: FLOWCONTROL_GROUP,
    kind: 'FlowSchema',
    status: true,
    unconditionalUpdate: true,
    defaults: defaultFlowSchema,
    validate: validateFlowSchema,
    validateStatus: (o) => validateFlowSchema(o).filter((e) => e.field.startsWith('status')),
  },
  {
    resource: 'prioritylevelconfigurations',
    group: FLOWCONTROL_GROUP,
    kind: 'PriorityLevelConfiguration',
    status: true,
    unconditionalUpdate: true,
    defaults: defaultPriorityLevelConfiguration,
    validate: validatePriorityLevelConfiguration,
    validateStatus: (o) => validatePriorityLevelConfiguration(o).filter((e) => e.field.startsWith('status')),
  },
];

const metadataErrors = (obj: KubeObject): FieldError[] => [
  ...validateLabels(obj.metadata?.labels, 'metadata.labels'),
  ...validateAnnotations(obj.metadata?.annotations, 'metadata.annotations'),
];

export function admissionStrategy(k: AdmissionKind): FullStrategy {
  const validate = (obj: KubeObject, ctx: StrategyContext): FieldError[] => {
    if (ctx.subresource === 'status') return [...metadataErrors(obj), ...(k.validateStatus?.(obj) ?? [])];
    return [...metadataErrors(obj), ...k.validate(obj)];
  };
  return {
    nameValidation: 'dns1123-subdomain',
    allowCreateOnUpdate: false,
    allowUnconditionalUpdate: k.unconditionalUpdate,
    strategicMergePatch: true,
    tracksGeneration: true,
    patchSchema: () => builtinPatchSchema(k.group, 'v1', k.kind),
    applyDefaults: (obj) => k.defaults(obj),
    prepareForCreate(obj: KubeObject) {
      k.defaults(obj);
      if (k.status) obj['status'] = {};
    },
    prepareForUpdate(obj: KubeObject) {
      k.defaults(obj);
    },
    validateCreate: validate,
    validateUpdate: (obj, _old, ctx) => validate(obj, ctx),
    pruneUnknownFields: () => [],
    selectableFields: () => ({}),
    selectableFieldNames: () => ['metadata.name'],
    printerColumns: () => [],
  };
}

let shared: Readonly<Record<string, FullStrategy>> | undefined;

/** Strategies by the name the resource table rows carry (`admission-<resource>`); stateless, shared by all tenants. */
export function admissionStrategies(): Readonly<Record<string, FullStrategy>> {
  shared ??= Object.freeze(Object.fromEntries(ADMISSION_KINDS.map((k) => [`admission-${k.resource}`, admissionStrategy(k)])));
  return shared;
}
