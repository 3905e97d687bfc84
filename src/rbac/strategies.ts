// The four RBAC kinds as virtual resources: the apiserver's RBAC strategies (create/update on
// PUT, unconditional updates, strategic merge patch), rbac/v1 defaulting, validation, and the
// policy-based storage's escalation checks before anything is written.
import type { KubeObject } from '../api/object.js';
import type { FullStrategy, StrategyContext } from '../registry/strategy.js';
import { checkBindingWrite, checkRoleWrite, onlyGCFieldsChanged } from './escalation.js';
import { rbacPatchSchema } from './patch-schema.js';
import type { RbacPolicy } from './policy.js';
import type { BindingObject, RoleObject } from './types.js';
import { defaultBinding, validateBinding, validateBindingUpdate, validateRole } from './validation.js';

export interface RbacStrategyDeps {
  /** The tenant's effective RBAC policy as it is before the write. */
  policy(): RbacPolicy;
  /** A ClusterRole was written or deleted (aggregation follows). */
  clusterRoleWritten?(obj: KubeObject, old: KubeObject | undefined): void;
}

const common: Omit<
  FullStrategy,
  'prepareForCreate' | 'prepareForUpdate' | 'validateCreate' | 'validateUpdate'
> = {
  nameValidation: 'path-segment',
  allowCreateOnUpdate: true,
  allowUnconditionalUpdate: true,
  strategicMergePatch: true,
  tracksGeneration: false,
  pruneUnknownFields: () => [],
  selectableFields: () => ({}),
  selectableFieldNames: () => ['metadata.name', 'metadata.namespace'],
  printerColumns: () => [],
};

function roleStrategy(deps: RbacStrategyDeps, resource: 'roles' | 'clusterroles'): FullStrategy {
  const namespaced = resource === 'roles';
  return {
    ...common,
    patchSchema: () => rbacPatchSchema(namespaced ? 'Role' : 'ClusterRole'),
    prepareForCreate(obj: RoleObject, ctx: StrategyContext) {
      checkRoleWrite(deps.policy(), ctx.user, resource, obj);
    },
    prepareForUpdate(obj: RoleObject, old: KubeObject, ctx: StrategyContext) {
      if (!onlyGCFieldsChanged(obj, old)) checkRoleWrite(deps.policy(), ctx.user, resource, obj);
    },
    validateCreate: (obj: RoleObject) => validateRole(obj, namespaced),
    validateUpdate: (obj: RoleObject) => validateRole(obj, namespaced),
    printerColumns: () => [
      {
        name: 'Created At',
        type: 'string',
        format: 'date',
        jsonPath: '.metadata.creationTimestamp',
        description: '',
      },
    ],
    afterWrite: namespaced ? undefined : (obj, old) => deps.clusterRoleWritten?.(obj, old),
  };
}

function bindingStrategy(
  deps: RbacStrategyDeps,
  resource: 'rolebindings' | 'clusterrolebindings',
): FullStrategy {
  const namespaced = resource === 'rolebindings';
  return {
    ...common,
    patchSchema: () => rbacPatchSchema(namespaced ? 'RoleBinding' : 'ClusterRoleBinding'),
    prepareForCreate(obj: BindingObject, ctx: StrategyContext) {
      defaultBinding(obj);
      checkBindingWrite(deps.policy(), ctx.user, resource, obj);
    },
    prepareForUpdate(obj: BindingObject, old: KubeObject, ctx: StrategyContext) {
      defaultBinding(obj);
      if (!onlyGCFieldsChanged(obj, old)) checkBindingWrite(deps.policy(), ctx.user, resource, obj);
    },
    validateCreate: (obj: BindingObject) => validateBinding(obj, namespaced),
    validateUpdate: (obj: BindingObject, old: KubeObject) =>
      validateBindingUpdate(obj, old as BindingObject, namespaced),
  };
}

/** Strategies by the name the resource table rows carry. */
export function rbacStrategies(deps: RbacStrategyDeps): Record<string, FullStrategy> {
  return {
    'rbac-clusterroles': roleStrategy(deps, 'clusterroles'),
    'rbac-roles': roleStrategy(deps, 'roles'),
    'rbac-clusterrolebindings': bindingStrategy(deps, 'clusterrolebindings'),
    'rbac-rolebindings': bindingStrategy(deps, 'rolebindings'),
  };
}
