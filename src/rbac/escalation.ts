// Escalation prevention on writes of RBAC objects (pkg/registry/rbac/*/policybased and
// pkg/registry/rbac/validation.ConfirmNoEscalation): a user may write a role only with rules it
// holds itself (or with `escalate`), and bind a role only when it holds its rules (or `bind`).
import { forbidden, notFound } from '../api/status.js';
import type { AuthorizationAttributes } from '../authorizer/authorizer.js';
import { SYSTEM_MASTERS, type UserInfo } from '../authorizer/user.js';
import type { KubeObject } from '../api/object.js';
import { aggregateErrors, type RbacPolicy } from './policy.js';
import { decide } from './rbac-authorizer.js';
import { compactRules, compactString, covers, goQuoteList } from './rule-matching.js';
import { RBAC_GROUP, type PolicyRule, type RoleRef } from './types.js';

const allows = (
  policy: RbacPolicy,
  a: Omit<AuthorizationAttributes, 'isResourceRequest' | 'path' | 'subresource' | 'apiVersion'>,
): boolean =>
  decide(policy, { ...a, isResourceRequest: true, path: '', subresource: '', apiVersion: '*' }).allowed;

/** ConfirmNoEscalation: throws the apiserver's Forbidden when `rules` exceed the user's own. */
export function confirmNoEscalation(
  policy: RbacPolicy,
  user: UserInfo,
  namespace: string,
  rules: PolicyRule[],
  gr: { group: string; resource: string },
  name: string,
): void {
  const owner = policy.rulesFor(user, namespace);
  const { covered, missing } = covers(owner.rules, rules);
  if (covered) return;
  const lines = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user ${JSON.stringify(user.username)} (groups=${goQuoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
  if (owner.errors.length) msg += `; resolution errors: [${aggregateErrors(owner.errors)}]`;
  throw forbidden(gr, name, msg);
}

const privileged = (user: UserInfo): boolean => user.groups.includes(SYSTEM_MASTERS);

/** A role (Role or ClusterRole) write: allowed with `escalate`, else its rules must be held. */
export function checkRoleWrite(
  policy: RbacPolicy,
  user: UserInfo,
  resource: 'roles' | 'clusterroles',
  role: { metadata?: { name?: string; namespace?: string }; rules?: PolicyRule[] | null },
): void {
  if (privileged(user)) return;
  const namespace = role.metadata?.namespace ?? '';
  const name = role.metadata?.name ?? '';
  if (allows(policy, { user, verb: 'escalate', apiGroup: RBAC_GROUP, resource, name, namespace })) return;
  confirmNoEscalation(policy, user, namespace, role.rules ?? [], { group: RBAC_GROUP, resource }, name);
}

/** A binding write: allowed with `bind` on the role, else the role's rules must be held. */
export function checkBindingWrite(
  policy: RbacPolicy,
  user: UserInfo,
  resource: 'rolebindings' | 'clusterrolebindings',
  binding: { metadata?: { name?: string; namespace?: string }; roleRef: RoleRef },
): void {
  if (privileged(user)) return;
  const namespace = binding.metadata?.namespace ?? '';
  const ref = binding.roleRef;
  const roleResource =
    ref.kind === 'ClusterRole' ? 'clusterroles' : ref.kind === 'Role' ? 'roles' : undefined;
  if (
    roleResource &&
    allows(policy, {
      user,
      verb: 'bind',
      apiGroup: ref.apiGroup,
      resource: roleResource,
      name: ref.name,
      namespace,
    })
  )
    return;
  const { rules, err } = policy.roleRefRules(ref, namespace);
  if (err !== undefined) {
    // The registry getter's NotFound (plural resource), as GetRoleReferenceRules returns it.
    if (roleResource) throw notFound({ group: RBAC_GROUP, resource: roleResource }, ref.name);
    throw forbidden({ group: RBAC_GROUP, resource }, binding.metadata?.name ?? '', err);
  }
  confirmNoEscalation(
    policy,
    user,
    namespace,
    rules!,
    { group: RBAC_GROUP, resource },
    binding.metadata?.name ?? '',
  );
}

/** IsOnlyMutatingGCFields: an update touching only ownerReferences/finalizers skips the checks. */
export function onlyGCFieldsChanged(obj: KubeObject, old: KubeObject): boolean {
  const norm = (o: KubeObject, refs: unknown, fins: unknown) => {
    const meta = { ...(o.metadata ?? {}) };
    delete meta.resourceVersion;
    delete meta.managedFields;
    delete meta.generation;
    return JSON.stringify(sortKeys({ ...o, metadata: { ...meta, ownerReferences: refs, finalizers: fins } }));
  };
  return (
    norm(obj, obj.metadata?.ownerReferences, obj.metadata?.finalizers) ===
    norm(old, obj.metadata?.ownerReferences, obj.metadata?.finalizers)
  );
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}
