// The cluster-scoped kinds a tenant writes into its virtual store besides namespaces, CRDs and
// RBAC: admission configuration, flow control and API services. What differs per kind is data
// here; src/admission/strategies.ts turns each row into a Strategy and
// src/resources/builtin-virtual.ts into a resource table row.
import type { KubeObject } from '../api/object.js';
import type { FieldError } from '../api/status.js';
import type { PrinterColumn } from '../resources/types.js';
import {
  defaultFlowSchema,
  defaultPriorityLevelConfiguration,
  defaultValidatingAdmissionPolicy,
  defaultValidatingAdmissionPolicyBinding,
  defaultWebhookConfiguration,
} from './defaults.js';
import { validateFlowSchema, validatePriorityLevelConfiguration } from './flowcontrol-validation.js';
import {
  validateValidatingAdmissionPolicy,
  validateValidatingAdmissionPolicyBinding,
} from './policy-validation.js';
import { stringAt } from './values.js';
import { validateWebhookConfiguration } from './webhook-validation.js';

export const ADMISSION_GROUP = 'admissionregistration.k8s.io';
export const FLOWCONTROL_GROUP = 'flowcontrol.apiserver.k8s.io';

/** What differs between the six kinds; everything else is shared. */
export interface AdmissionKind {
  resource: string;
  /** Discovery categories (kubectl get <category>). */
  categories?: readonly string[];
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
  /** Checks of an update against the stored object (immutable fields), after validate(). */
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  /** Namespaced kind (default: cluster-scoped). */
  namespaced?: boolean;
  shortNames?: readonly string[];
  /** metadata.generation kept (1 on create, +1 on spec changes; default true). */
  generation?: boolean;
  /** The status a create resets to (default `{}`), as the Go type serializes its zero value. */
  emptyStatus?(): Record<string, unknown>;
  /** Field selectors besides metadata.name (and metadata.namespace), with the object's values. */
  selectableFields?(obj: KubeObject): Record<string, string>;
  /** Table columns after Name, as the apiserver's printers show the kind. */
  printerColumns?: readonly PrinterColumn[];
}

export const ADMISSION_KINDS: readonly AdmissionKind[] = [
  {
    resource: 'mutatingwebhookconfigurations',
    group: ADMISSION_GROUP,
    kind: 'MutatingWebhookConfiguration',
    categories: ['api-extensions'],
    status: false,
    unconditionalUpdate: false,
    defaults: (o) => defaultWebhookConfiguration(o, true),
    validate: (o) => validateWebhookConfiguration(o, true),
  },
  {
    resource: 'validatingwebhookconfigurations',
    group: ADMISSION_GROUP,
    kind: 'ValidatingWebhookConfiguration',
    categories: ['api-extensions'],
    status: false,
    unconditionalUpdate: false,
    defaults: (o) => defaultWebhookConfiguration(o, false),
    validate: (o) => validateWebhookConfiguration(o, false),
  },
  {
    resource: 'validatingadmissionpolicies',
    group: ADMISSION_GROUP,
    kind: 'ValidatingAdmissionPolicy',
    categories: ['api-extensions'],
    status: true,
    unconditionalUpdate: false,
    defaults: defaultValidatingAdmissionPolicy,
    validate: validateValidatingAdmissionPolicy,
  },
  {
    resource: 'validatingadmissionpolicybindings',
    group: ADMISSION_GROUP,
    kind: 'ValidatingAdmissionPolicyBinding',
    categories: ['api-extensions'],
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
  {
    // The tenant's own certificate requests: stored and served; no signer acts on them (a host
    // signer would mint host credentials), approval and signing are the tenant's controllers' job.
    resource: 'certificatesigningrequests',
    group: 'certificates.k8s.io',
    kind: 'CertificateSigningRequest',
    status: true,
    unconditionalUpdate: false,
    defaults: () => undefined,
    validate: () => [],
    // certificatesigningrequest's SelectableFields: the signer, as the apiserver supports it
    selectableFields: (o) => ({ 'spec.signerName': stringAt(o, 'spec', 'signerName') }),
  },
  {
    // The tenant's own API services: none are served by aggregation, but the group exists as on
    // every cluster (discovery conformance walks every group).
    resource: 'apiservices',
    group: 'apiregistration.k8s.io',
    kind: 'APIService',
    categories: ['api-extensions'],
    status: true,
    unconditionalUpdate: false,
    defaults: () => undefined,
    validate: () => [],
  },
];
