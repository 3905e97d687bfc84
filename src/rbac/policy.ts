// One tenant's effective RBAC objects (bootstrap layer + its own), indexed for the rule
// resolver of k8s.io/kubernetes/pkg/registry/rbac/validation (VisitRulesFor, RulesFor,
// GetRoleReferenceRules). Built once from the tenant's merged store, then kept current one
// written object at a time; bindings are indexed by subject, so neither a write nor an
// authorization check costs the number of RBAC objects the tenant has.
import type { KubeObject } from '../api/object.js';
import type { UserInfo } from '../authorizer/user.js';
import type { ObjectKey } from '../store/types.js';
import type { OverlayStore } from './overlay-store.js';
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

/** Index keys a subject is found under: users (and service accounts, by their user name) and groups. */
function subjectIndexKey(s: Subject, bindingNamespace: string): string | undefined {
  switch (s.kind) {
    case 'User':
      return `u:${s.name}`;
    case 'Group':
      return `g:${s.name}`;
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNamespace;
      return ns ? `u:${SA_PREFIX}${ns}:${s.name}` : undefined;
    }
    default:
      return undefined;
  }
}

const byName = (a: BindingObject, b: BindingObject): number => {
  const x = a.metadata?.name ?? '';
  const y = b.metadata?.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * The bindings of one scope (cluster-wide, or one namespace) indexed by the subjects they name,
 * so finding a user's bindings costs what that user is bound by, not the number of bindings.
 */
class BindingIndex {
  readonly byName = new Map<string, BindingObject>();
  private readonly bySubject = new Map<string, Set<string>>();

  constructor(private readonly namespace: string) {}

  private keys(b: BindingObject): Set<string> {
    const out = new Set<string>();
    for (const s of b.subjects ?? []) {
      const k = s && subjectIndexKey(s, this.namespace);
      if (k !== undefined) out.add(k);
    }
    return out;
  }

  set(name: string, b: BindingObject | undefined): void {
    const old = this.byName.get(name);
    if (old) {
      for (const k of this.keys(old)) {
        const names = this.bySubject.get(k);
        names?.delete(name);
        if (names?.size === 0) this.bySubject.delete(k);
      }
      this.byName.delete(name);
    }
    if (!b) return;
    this.byName.set(name, b);
    for (const k of this.keys(b)) {
      let names = this.bySubject.get(k);
      if (!names) this.bySubject.set(k, (names = new Set()));
      names.add(name);
    }
  }

  /** The bindings that may name `user`, in name order (the order a list would return them). */
  candidates(user: UserInfo): BindingObject[] {
    const names = new Set<string>();
    for (const k of [`u:${user.username}`, ...user.groups.map((g) => `g:${g}`)])
      for (const n of this.bySubject.get(k) ?? []) names.add(n);
    const out: BindingObject[] = [];
    for (const n of names) out.push(this.byName.get(n)!);
    return out.sort(byName);
  }

  get size(): number {
    return this.byName.size;
  }
}

export class RbacPolicy {
  readonly clusterRoles = new Map<string, RoleObject>();
  readonly roles = new Map<string, RoleObject>();
  /** Names of the ClusterRoles with an aggregationRule. */
  readonly aggregating = new Set<string>();
  private readonly clusterRoleBindings = new BindingIndex('');
  private readonly roleBindings = new Map<string, BindingIndex>();

  /** Reads every RBAC object once; later changes arrive one object at a time through apply(). */
  constructor(store: OverlayStore) {
    for (const resource of ['clusterroles', 'roles', 'clusterrolebindings', 'rolebindings'])
      for (const s of store.listShared({ group: RBAC_GROUP, resource }).items) this.apply(s.key, s.object);
  }

  /** Puts the current state of one RBAC object (undefined: it is gone) into the index. */
  apply(key: ObjectKey, object: KubeObject | undefined): void {
    if (key.group !== RBAC_GROUP) return;
    switch (key.resource) {
      case 'clusterroles':
        if (object) this.clusterRoles.set(key.name, object as RoleObject);
        else this.clusterRoles.delete(key.name);
        if (object && (object as RoleObject).aggregationRule) this.aggregating.add(key.name);
        else this.aggregating.delete(key.name);
        return;
      case 'roles':
        if (object) this.roles.set(`${key.namespace}/${key.name}`, object as RoleObject);
        else this.roles.delete(`${key.namespace}/${key.name}`);
        return;
      case 'clusterrolebindings':
        this.clusterRoleBindings.set(key.name, object as BindingObject | undefined);
        return;
      case 'rolebindings': {
        let idx = this.roleBindings.get(key.namespace);
        if (!idx) {
          if (!object) return;
          this.roleBindings.set(key.namespace, (idx = new BindingIndex(key.namespace)));
        }
        idx.set(key.name, object as BindingObject | undefined);
        if (idx.size === 0) this.roleBindings.delete(key.namespace);
        return;
      }
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
    for (const b of this.clusterRoleBindings.candidates(user)) {
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
    for (const b of this.roleBindings.get(namespace)?.candidates(user) ?? []) {
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
