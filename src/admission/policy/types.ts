// The admissionregistration.k8s.io/v1 shapes policy enforcement reads.
import type { KubeObject } from '../../api/object.js';
import type { LabelSelectorShape } from '../../api/labels.js';
import type { MatchResources } from './match.js';

export interface ValidatingAdmissionPolicy extends KubeObject {
  spec?: {
    paramKind?: { apiVersion?: string; kind?: string };
    matchConstraints?: MatchResources;
    validations?: { expression: string; message?: string; reason?: string; messageExpression?: string }[];
    failurePolicy?: 'Fail' | 'Ignore';
    auditAnnotations?: { key: string; valueExpression: string }[];
    matchConditions?: { name: string; expression: string }[];
    variables?: { name: string; expression: string }[];
  };
}

export interface ParamRef {
  name?: string;
  namespace?: string;
  selector?: LabelSelectorShape;
  parameterNotFoundAction?: 'Allow' | 'Deny';
}

export interface ValidatingAdmissionPolicyBinding extends KubeObject {
  spec?: {
    policyName?: string;
    paramRef?: ParamRef;
    matchResources?: MatchResources;
    validationActions?: ('Deny' | 'Warn' | 'Audit')[];
  };
}
