// ValidatingAdmissionPolicy as an admission plugin: the tenant's bound policies judge the objects.
import type { AdmissionPlugin } from '../chain.js';
import type { ValidatingPolicies } from './validating-policies.js';

export function validatingAdmissionPolicy(policies: ValidatingPolicies): AdmissionPlugin {
  return {
    name: 'ValidatingAdmissionPolicy',
    handles: (a) => policies.mayApply(a),
    validate: (a, env) => policies.admit(a, env.hostParams),
  };
}
