// The review APIs kplex answers itself, from the tenant's identity and RBAC (never the host's):
// SelfSubjectReview (kubectl auth whoami), SelfSubjectAccessReview, SubjectAccessReview,
// LocalSubjectAccessReview (kubectl auth can-i) and SelfSubjectRulesReview (can-i --list).
// As the apiserver's registries: create only, the object with its status, nothing stored (the
// computed-resource handler, src/handlers/computed.ts, reads the body and writes the 201).
import { fieldErr } from '../api/field-errors.js';
import type { KubeObject } from '../api/object.js';
import type { RequestInfo } from '../api/request-info.js';
import { badRequest, invalid, methodNotSupported } from '../api/status.js';
import type { PolicyRule } from '../rbac/types.js';
import type { AuthorizationAttributes } from '../authorizer/authorizer.js';
import type { UserInfo } from '../authorizer/user.js';

/** Who a bearer token is in a tenant (TokenReview); undefined when it proves no identity there. */
export type TokenReviewer = (tenant: string, token: string) => Promise<UserInfo | undefined>;

export interface AccessDecider {
  decide(tenant: string, a: AuthorizationAttributes): Promise<{ allowed: boolean; reason: string }>;
  rulesFor(
    tenant: string,
    user: UserInfo,
    namespace: string,
  ): Promise<{ rules: PolicyRule[]; errors: string[] }>;
}

const REVIEWS: Record<string, { kind: string; apiVersion: string }> = {
  'authentication.k8s.io/tokenreviews': {
    kind: 'TokenReview',
    apiVersion: 'authentication.k8s.io/v1',
  },
  'authentication.k8s.io/selfsubjectreviews': {
    kind: 'SelfSubjectReview',
    apiVersion: 'authentication.k8s.io/v1',
  },
  'authorization.k8s.io/selfsubjectaccessreviews': {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
  },
  'authorization.k8s.io/subjectaccessreviews': {
    kind: 'SubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
  },
  'authorization.k8s.io/localsubjectaccessreviews': {
    kind: 'LocalSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
  },
  'authorization.k8s.io/selfsubjectrulesreviews': {
    kind: 'SelfSubjectRulesReview',
    apiVersion: 'authorization.k8s.io/v1',
  },
};

/** The apiVersion and kind of the review a request addresses. */
export function reviewType(info: RequestInfo): { kind: string; apiVersion: string } {
  const meta = REVIEWS[`${info.apiGroup}/${info.resource}`];
  if (!meta) throw badRequest(`${info.resource}.${info.apiGroup} is not a review`);
  return meta;
}

/** Reviews are created, never read (405 before the body is looked at). */
export function checkReviewRequest(info: RequestInfo): void {
  if (info.verb !== 'create' || info.name)
    throw methodNotSupported({ group: info.apiGroup, resource: info.resource }, info.verb);
}

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}
interface ReviewSpec {
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: { path?: string; verb?: string };
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
  namespace?: string;
  /** TokenReview */
  token?: string;
  audiences?: string[];
}

function specErrors(kind: string, spec: ReviewSpec, needsSubject: boolean): void {
  const errs = [];
  const r = spec.resourceAttributes;
  const n = spec.nonResourceAttributes;
  if (r && n)
    errs.push({
      type: 'FieldValueInvalid' as const,
      field: 'spec.nonResourceAttributes',
      value: n,
      detail: 'cannot be specified in combination with resourceAttributes',
    });
  if (!r && !n)
    errs.push(
      fieldErr.invalid(
        'spec.resourceAttributes',
        null,
        'exactly one of nonResourceAttributes or resourceAttributes must be specified',
      ),
    );
  if (needsSubject && !spec.user && !(spec.groups ?? []).length) {
    errs.push(
      fieldErr.invalid('spec.user', spec.user ?? '', 'at least one of user or group must be specified'),
    );
  }
  if (errs.length) throw invalid({ group: 'authorization.k8s.io', kind }, '', errs);
}

function attributesOf(user: UserInfo, spec: ReviewSpec): AuthorizationAttributes {
  const r = spec.resourceAttributes;
  if (r) {
    return {
      user,
      verb: r.verb ?? '',
      isResourceRequest: true,
      path: '',
      namespace: r.namespace ?? '',
      apiGroup: r.group ?? '',
      apiVersion: r.version ?? '',
      resource: r.resource ?? '',
      subresource: r.subresource ?? '',
      name: r.name ?? '',
    };
  }
  const n = spec.nonResourceAttributes ?? {};
  return {
    user,
    verb: n.verb ?? '',
    isResourceRequest: false,
    path: n.path ?? '',
    namespace: '',
    apiGroup: '',
    apiVersion: '',
    resource: '',
    subresource: '',
    name: '',
  };
}

/** Answers a review create (`body` decoded); `user` is the (possibly impersonated) requestor. */
export async function answerReview(
  tenant: string,
  info: RequestInfo,
  user: UserInfo,
  body: unknown,
  decider: AccessDecider,
  reviewToken?: TokenReviewer,
): Promise<KubeObject> {
  const meta = reviewType(info);
  const obj = (body ?? {}) as KubeObject & { spec?: ReviewSpec };
  const spec: ReviewSpec = obj.spec ?? {};
  let status: Record<string, unknown>;
  switch (meta.kind) {
    case 'TokenReview': {
      // As the apiserver's TokenReview REST: the token is authenticated in THIS tenant only.
      if (!spec.token) throw badRequest('token is required for TokenReview in authentication');
      const who = reviewToken ? await reviewToken(tenant, spec.token).catch(() => undefined) : undefined;
      status = who
        ? {
            authenticated: true,
            user: {
              username: who.username,
              ...(who.uid ? { uid: who.uid } : {}),
              groups: who.groups,
              ...(who.extra ? { extra: who.extra } : {}),
            },
            ...(spec.audiences?.length ? { audiences: spec.audiences } : {}),
          }
        : { user: {} };
      break;
    }
    case 'SelfSubjectReview':
      status = {
        userInfo: {
          username: user.username,
          ...(user.uid ? { uid: user.uid } : {}),
          groups: user.groups,
          ...(user.extra ? { extra: user.extra } : {}),
        },
      };
      break;
    case 'SelfSubjectAccessReview':
      specErrors(meta.kind, spec, false);
      status = await accessStatus(decider, tenant, attributesOf(user, spec));
      break;
    case 'SubjectAccessReview':
      specErrors(meta.kind, spec, true);
      status = await accessStatus(decider, tenant, attributesOf(subjectOf(spec), spec));
      break;
    case 'LocalSubjectAccessReview': {
      specErrors(meta.kind, spec, true);
      const ns = obj.metadata?.namespace || info.namespace;
      if (ns !== info.namespace)
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      if (spec.nonResourceAttributes) {
        throw invalid({ group: 'authorization.k8s.io', kind: meta.kind }, '', [
          {
            type: 'FieldValueInvalid',
            field: 'spec.nonResourceAttributes',
            value: spec.nonResourceAttributes,
            detail: 'disallowed on this kind of request',
          },
        ]);
      }
      if (spec.resourceAttributes && spec.resourceAttributes.namespace !== info.namespace) {
        throw invalid({ group: 'authorization.k8s.io', kind: meta.kind }, '', [
          fieldErr.invalid(
            'spec.resourceAttributes.namespace',
            spec.resourceAttributes.namespace ?? '',
            'must match metadata.namespace',
          ),
        ]);
      }
      obj.metadata = { ...obj.metadata, namespace: info.namespace };
      status = await accessStatus(decider, tenant, attributesOf(subjectOf(spec), spec));
      break;
    }
    default: {
      const { rules, errors } = await decider.rulesFor(tenant, user, spec.namespace ?? '');
      status = {
        resourceRules: rules
          .filter((r) => r.resources?.length)
          .map((r) => ({
            verbs: r.verbs,
            apiGroups: r.apiGroups,
            resources: r.resources,
            resourceNames: r.resourceNames,
          })),
        nonResourceRules: rules
          .filter((r) => r.nonResourceURLs?.length)
          .map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs })),
        incomplete: errors.length > 0,
        ...(errors.length
          ? { evaluationError: errors.length === 1 ? errors[0] : `[${errors.join(', ')}]` }
          : {}),
      };
    }
  }
  return {
    kind: meta.kind,
    apiVersion: meta.apiVersion,
    // A SelfSubjectReview is made afresh, created now (selfsubjectreview REST.Create); the others echo the request's.
    metadata:
      meta.kind === 'SelfSubjectReview'
        ? { creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }
        : { ...(obj.metadata ?? {}), creationTimestamp: null as unknown as string },
    ...(meta.kind === 'SelfSubjectReview' ? {} : { spec }),
    status,
  };
}

function subjectOf(spec: ReviewSpec): UserInfo {
  return {
    username: spec.user ?? '',
    groups: spec.groups ?? [],
    ...(spec.uid ? { uid: spec.uid } : {}),
    ...(spec.extra ? { extra: spec.extra } : {}),
  };
}

async function accessStatus(
  decider: AccessDecider,
  tenant: string,
  a: AuthorizationAttributes,
): Promise<Record<string, unknown>> {
  const d = await decider.decide(tenant, a);
  return { allowed: d.allowed, ...(d.reason ? { reason: d.reason } : {}) };
}
