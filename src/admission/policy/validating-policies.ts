// ValidatingAdmissionPolicy enforcement for one tenant (validating/dispatcher.go): the tenant's
// own policies and bindings, read from its store, judge every write the tenant makes — to virtual
// objects in the registry and to host-backed objects before they reach the host. Denials are the
// apiserver's Status (422 Invalid unless a validation names another reason); Warn bindings add
// warnings; Audit bindings change nothing (kplex keeps no audit log).
import type { KubeObject } from '../../api/object.js';
import { type StatusError, forbidden } from '../../api/status.js';
import type { AdmissionAttributes } from '../attributes.js';
import { evaluatePolicy } from './evaluate.js';
import { matches, rulesMatch } from './match.js';
import { type HostParamReader, type ParamSources, collectParams } from './params.js';
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from './types.js';
import type { TenantStore } from '../../store/types.js';

const GROUP = 'admissionregistration.k8s.io';

interface Hook {
  policy: ValidatingAdmissionPolicy;
  bindings: ValidatingAdmissionPolicyBinding[];
}

interface Denial {
  policy: string;
  binding?: string;
  message: string;
  reason: string;
}

const REASON_CODES: Record<string, number> = {
  Forbidden: 403,
  Unauthorized: 401,
  RequestEntityTooLarge: 413,
  Invalid: 422,
};

export class ValidatingPolicies {
  private snapshot?: { version: string; hooks: Hook[]; store: TenantStore; rv: number };

  constructor(private readonly src: Omit<ParamSources, 'host'>) {}

  /**
   * Policies with at least one binding, re-read only when a policy or binding changed (not on
   * every write of the tenant: that would make each write cost the number of policies).
   */
  private hooks(): Hook[] {
    const store = this.src.store();
    // Nothing of the tenant's was written since the last look: not even the versions are read.
    const rv = store.currentRV();
    if (this.snapshot?.store === store && this.snapshot.rv === rv) return this.snapshot.hooks;
    const version = `${store.lastChangeRV(GROUP, 'validatingadmissionpolicybindings')}/${store.lastChangeRV(GROUP, 'validatingadmissionpolicies')}`;
    if (this.snapshot?.version === version) {
      Object.assign(this.snapshot, { store, rv });
      return this.snapshot.hooks;
    }
    const byPolicy = new Map<string, ValidatingAdmissionPolicyBinding[]>();
    for (const s of store.list({ group: GROUP, resource: 'validatingadmissionpolicybindings' }).items) {
      const b = s.object as ValidatingAdmissionPolicyBinding;
      const name = b.spec?.policyName ?? '';
      byPolicy.set(name, [...(byPolicy.get(name) ?? []), b]);
    }
    const hooks: Hook[] = [];
    if (byPolicy.size) {
      for (const s of store.list({ group: GROUP, resource: 'validatingadmissionpolicies' }).items) {
        const bindings = byPolicy.get(s.object.metadata?.name ?? '');
        if (bindings) hooks.push({ policy: s.object as ValidatingAdmissionPolicy, bindings });
      }
    }
    this.snapshot = { version, hooks, store, rv };
    return hooks;
  }

  /**
   * Whether any bound policy's rules cover this request, before its objects are known: the host
   * passthrough only prepares the objects (a dry run, a read) when this says yes.
   */
  mayApply(a: AdmissionAttributes): boolean {
    return this.hooks().some((h) => rulesMatch(h.policy.spec?.matchConstraints, a));
  }

  /** Judges a write; returns the warnings to send, throws the denial. `host` reads host-backed params. */
  async admit(a: AdmissionAttributes, host?: HostParamReader): Promise<string[]> {
    const hooks = this.hooks();
    if (!hooks.length) return [];
    const store = this.src.store();
    const namespaceOf = (name: string): KubeObject | undefined =>
      store.get({ group: '', resource: 'namespaces', namespace: '', name })?.object;
    const labelsOf = (name: string) => namespaceOf(name)?.metadata?.labels;
    const isNamespace = a.resource.group === '' && a.resource.resource === 'namespaces';
    const namespace = a.namespace && !isNamespace ? namespaceOf(a.namespace) : undefined;
    const denials: Denial[] = [];
    const warnings: string[] = [];
    for (const { policy, bindings } of hooks) {
      const spec = policy.spec ?? {};
      const policyName = policy.metadata?.name ?? '';
      if (!matches(spec.matchConstraints, a, labelsOf)) continue;
      for (const binding of bindings) {
        const bindingName = binding.metadata?.name ?? '';
        if (!matches(binding.spec?.matchResources, a, labelsOf)) continue;
        let params: (KubeObject | null)[];
        try {
          params = await collectParams(
            { ...this.src, host },
            spec.paramKind,
            binding.spec?.paramRef,
            a.namespace,
          );
        } catch (err) {
          if (spec.failurePolicy !== 'Ignore')
            denials.push({
              policy: policyName,
              binding: bindingName,
              message: `failed to configure binding: ${(err as Error).message}`,
              reason: 'Invalid',
            });
          continue;
        }
        for (const param of params) {
          for (const d of evaluatePolicy({ policy, attrs: a, param, namespace })) {
            if (d.action !== 'deny') continue;
            for (const action of binding.spec?.validationActions ?? []) {
              if (action === 'Deny')
                denials.push({
                  policy: policyName,
                  binding: bindingName,
                  message: d.message,
                  reason: d.reason,
                });
              else if (action === 'Warn')
                warnings.push(
                  `Validation failed for ValidatingAdmissionPolicy '${policyName}' with binding '${bindingName}': ${d.message}`,
                );
            }
          }
        }
      }
    }
    if (denials.length) throw denialError(a, denials[0]!);
    return warnings;
  }
}

/** admission.NewForbidden with the decision's reason and code, and the message as its one cause. */
function denialError(a: AdmissionAttributes, d: Denial): StatusError {
  const message = d.binding
    ? `ValidatingAdmissionPolicy '${d.policy}' with binding '${d.binding}' denied request: ${d.message}`
    : `ValidatingAdmissionPolicy '${d.policy}' denied request: ${d.message}`;
  const meta = (a.object ?? a.oldObject)?.metadata;
  const name = a.name || meta?.name || meta?.generateName || 'Unknown';
  const err = forbidden({ group: a.resource.group, resource: a.resource.resource }, name, message);
  err.status.reason = d.reason;
  err.status.code = REASON_CODES[d.reason] ?? 422;
  err.status.details = { ...(err.status.details ?? {}), causes: [{ message }] };
  return err;
}
