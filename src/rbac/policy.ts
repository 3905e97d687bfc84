// One tenant's effective RBAC objects (bootstrap layer + its own), indexed for the rule
// resolver of k8s.io/kubernetes/pkg/registry/rbac/validation (VisitRulesFor, RulesFor,
// GetRoleReferenceRules). Built from the tenant's merged store and rebuilt when it changes.
import type { UserInfo } from '../auth/user.js';
import type { OverlayStore } from './overlay-store.js';
import { goQuoteList } from './rule-matching.js';
import {
  RBAC_GROUP,
  type BindingObject,
  type PolicyRule,
  type RoleObject,
  type RoleRef,
  type Subject,
} from './types.js';

/** The visitor of VisitRulesFor: return false to stop. `source` describes the granting binding. */
export type RuleVisitor = (
  source: (() => string) | undefined,
  rule: PolicyRule | undefined,
  err: string | undefined,
) => boolean;

const SA_PREFIX = 'system:serviceaccount:';

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount')
    return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

function appliesToUser(user: UserInfo, s: Subject, namespace: string): boolean {
  switch (s.kind) {
    case 'User':
      return user.username === s.name;
    case 'Group':
      return user.groups.includes(s.name);
    case 'ServiceAccount': {
      const ns = s.namespace || namespace;
      return !!ns && user.username === `${SA_PREFIX}${ns}:${s.name}`;
    }
    default:
      return false;
  }
}

const appliesTo = (user: UserInfo, subjects: Subject[] | null | undefined, ns: string): number =>
  (subjects ?? []).findIndex((s) => appliesToUser(user, s, ns));

export class RbacPolicy {
  readonly clusterRoles = new Map<string, RoleObject>();
  readonly roles = new Map<string, RoleObject>();
  readonly clusterRoleBindings: BindingObject[] = [];
  readonly roleBindings = new Map<string, BindingObject[]>();

  constructor(store: OverlayStore) {
    const all = (resource: string) =>
      store.listShared({ group: RBAC_GROUP, resource }).items.map((s) => s.object);
    for (const o of all('clusterroles')) this.clusterRoles.set(o.metadata?.name ?? '', o as RoleObject);
    for (const o of all('roles'))
      this.roles.set(`${o.metadata?.namespace}/${o.metadata?.name}`, o as RoleObject);
    for (const o of all('clusterrolebindings')) this.clusterRoleBindings.push(o as BindingObject);
    for (const o of all('rolebindings')) {
      const ns = o.metadata?.namespace ?? '';
      const l = this.roleBindings.get(ns) ?? [];
      l.push(o as BindingObject);
      this.roleBindings.set(ns, l);
    }
  }

  /** GetRoleReferenceRules; the error is the lister's NotFound text. */
  roleRefRules(ref: RoleRef, bindingNamespace: string): { rules?: PolicyRule[]; err?: string } {
    if (ref.kind === 'Role') {
      const r = this.roles.get(`${bindingNamespace}/${ref.name}`);
      return r
        ? { rules: r.rules ?? [] }
        : { err: `role.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found` };
    }
    if (ref.kind === 'ClusterRole') {
      const r = this.clusterRoles.get(ref.name);
      return r
        ? { rules: r.rules ?? [] }
        : { err: `clusterrole.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found` };
    }
    return { err: `unsupported role reference kind: ${JSON.stringify(ref.kind)}` };
  }

  visitRulesFor(user: UserInfo, namespace: string, visit: RuleVisitor): void {
    for (const b of this.clusterRoleBindings) {
      const i = appliesTo(user, b.subjects, '');
      if (i < 0) continue;
      const { rules, err } = this.roleRefRules(b.roleRef, '');
      if (err !== undefined) {
        if (!visit(undefined, undefined, err)) return;
        continue;
      }
      const source = () =>
        `ClusterRoleBinding ${JSON.stringify(b.metadata?.name)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(b.subjects![i]!, '')}`;
      for (const r of rules!) if (!visit(source, r, undefined)) return;
    }
    if (!namespace) return;
    for (const b of this.roleBindings.get(namespace) ?? []) {
      const i = appliesTo(user, b.subjects, namespace);
      if (i < 0) continue;
      const { rules, err } = this.roleRefRules(b.roleRef, namespace);
      if (err !== undefined) {
        if (!visit(undefined, undefined, err)) return;
        continue;
      }
      const source = () =>
        `RoleBinding ${JSON.stringify(`${b.metadata?.name}/${namespace}`)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(b.subjects![i]!, namespace)}`;
      for (const r of rules!) if (!visit(source, r, undefined)) return;
    }
  }

  /** Every rule that applies to `user` in `namespace` (cluster-wide ones included), and resolution errors. */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    this.visitRulesFor(user, namespace, (_s, r, e) => {
      if (r) rules.push(r);
      if (e !== undefined) errors.push(e);
      return true;
    });
    return { rules, errors };
  }
}

/** utilerrors.NewAggregate(errs).Error(): one message, or `[a, b]`. */
export const aggregateErrors = (errs: string[]): string =>
  errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`;

export { goQuoteList };
