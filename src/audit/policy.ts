// The audit policy: the apiserver's `audit.k8s.io/v1 Policy` file format, and its rule matching
// as k8s.io/apiserver/pkg/audit/policy/checker.go does it (first matching rule wins; no rule: None).
import { parse as parseYaml } from 'yaml';

export const LEVELS = ['None', 'Metadata', 'Request', 'RequestResponse'] as const;
export type AuditLevel = (typeof LEVELS)[number];
export const STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const;
export type AuditStage = (typeof STAGES)[number];

interface GroupResources {
  group: string;
  resources: string[];
  resourceNames: string[];
}

export interface PolicyRule {
  level: AuditLevel;
  users: string[];
  userGroups: string[];
  verbs: string[];
  resources: GroupResources[];
  namespaces: string[];
  nonResourceURLs: string[];
  omitStages: AuditStage[];
  omitManagedFields?: boolean;
}

export interface AuditPolicy {
  rules: PolicyRule[];
  omitStages: AuditStage[];
  omitManagedFields: boolean;
}

/** What a rule looks at (the authorizer's attributes of the request). */
export interface AuditAttributes {
  user?: { username: string; groups: string[] };
  verb: string;
  isResourceRequest: boolean;
  path: string;
  namespace: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  name: string;
}

export interface AuditDecision {
  level: AuditLevel;
  omitStages: ReadonlySet<AuditStage>;
  omitManagedFields: boolean;
}

/** Without a policy file every request is audited at Metadata. */
export const METADATA_POLICY: AuditPolicy = {
  rules: [rule({ level: 'Metadata' })],
  omitStages: [],
  omitManagedFields: false,
};

function rule(r: Partial<PolicyRule> & { level: AuditLevel }): PolicyRule {
  return {
    users: [],
    userGroups: [],
    verbs: [],
    resources: [],
    namespaces: [],
    nonResourceURLs: [],
    omitStages: [],
    ...r,
  };
}

export function levelAtLeast(level: AuditLevel, min: AuditLevel): boolean {
  return LEVELS.indexOf(level) >= LEVELS.indexOf(min);
}

export function evaluatePolicy(policy: AuditPolicy, attrs: AuditAttributes): AuditDecision {
  for (const r of policy.rules) {
    if (!ruleMatches(r, attrs)) continue;
    return {
      level: r.level,
      omitStages: new Set([...policy.omitStages, ...r.omitStages]),
      omitManagedFields: r.omitManagedFields ?? policy.omitManagedFields,
    };
  }
  return { level: 'None', omitStages: new Set(policy.omitStages), omitManagedFields: false };
}

function ruleMatches(r: PolicyRule, a: AuditAttributes): boolean {
  if (r.users.length > 0 && (!a.user || !r.users.includes(a.user.username))) return false;
  if (r.userGroups.length > 0 && !a.user?.groups.some((g) => r.userGroups.includes(g))) return false;
  if (r.verbs.length > 0 && !r.verbs.includes(a.verb)) return false;
  if (r.namespaces.length > 0 || r.resources.length > 0) return resourceMatches(r, a);
  if (r.nonResourceURLs.length > 0)
    return !a.isResourceRequest && r.nonResourceURLs.some((spec) => pathMatches(a.path, spec));
  return true;
}

function pathMatches(path: string, spec: string): boolean {
  if (spec === '*' || spec === path) return true;
  return spec.endsWith('*') && path.startsWith(spec.replace(/\*+$/, ''));
}

function resourceMatches(r: PolicyRule, a: AuditAttributes): boolean {
  if (!a.isResourceRequest) return false;
  // Cluster-scoped resources have the namespace "".
  if (r.namespaces.length > 0 && !r.namespaces.includes(a.namespace)) return false;
  if (r.resources.length === 0) return true;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  for (const gr of r.resources) {
    if (gr.group !== a.apiGroup) continue;
    if (gr.resources.length === 0) return true;
    if (gr.resourceNames.length > 0 && !gr.resourceNames.includes(a.name)) continue;
    for (const res of gr.resources) {
      if (res === combined || res === '*') return true;
      if (a.subresource && res.startsWith('*/') && res.slice(2) === a.subresource) return true;
      if (res.endsWith('/*') && res.slice(0, -2) === a.resource) return true;
    }
  }
  return false;
}

// ---- parsing and validation (as the apiserver refuses a bad policy at start) ----

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))
    throw new Error(`${field}: must be a list of strings`);
  return v as string[];
}

function stages(v: unknown, field: string): AuditStage[] {
  const list = strings(v, field);
  for (const s of list)
    if (!(STAGES as readonly string[]).includes(s))
      throw new Error(`${field}: unsupported stage "${s}" (one of ${STAGES.join(', ')})`);
  return list as AuditStage[];
}

function parseRule(v: unknown, i: number): PolicyRule {
  const f = `rules[${i}]`;
  if (!isObj(v)) throw new Error(`${f}: must be an object`);
  if (typeof v['level'] !== 'string' || !(LEVELS as readonly string[]).includes(v['level']))
    throw new Error(`${f}.level: must be one of ${LEVELS.join(', ')}`);
  const resources = (
    Array.isArray(v['resources']) ? v['resources'] : v['resources'] == null ? [] : null
  )?.map((g: unknown, j: number): GroupResources => {
    if (!isObj(g)) throw new Error(`${f}.resources[${j}]: must be an object`);
    if (g['group'] !== undefined && typeof g['group'] !== 'string')
      throw new Error(`${f}.resources[${j}].group: must be a string`);
    return {
      group: (g['group'] as string | undefined) ?? '',
      resources: strings(g['resources'], `${f}.resources[${j}].resources`),
      resourceNames: strings(g['resourceNames'], `${f}.resources[${j}].resourceNames`),
    };
  });
  if (!resources) throw new Error(`${f}.resources: must be a list`);
  const out = rule({
    level: v['level'] as AuditLevel,
    users: strings(v['users'], `${f}.users`),
    userGroups: strings(v['userGroups'], `${f}.userGroups`),
    verbs: strings(v['verbs'], `${f}.verbs`),
    resources,
    namespaces: strings(v['namespaces'], `${f}.namespaces`),
    nonResourceURLs: strings(v['nonResourceURLs'], `${f}.nonResourceURLs`),
    omitStages: stages(v['omitStages'], `${f}.omitStages`),
  });
  // The apiserver: a rule is about resources or about non-resource URLs, never both.
  if (out.nonResourceURLs.length > 0 && (out.resources.length > 0 || out.namespaces.length > 0))
    throw new Error(`${f}: rules cannot apply to both regular resources and non-resource URLs`);
  if (typeof v['omitManagedFields'] === 'boolean') out.omitManagedFields = v['omitManagedFields'];
  return out;
}

/** Parses a policy file (YAML or JSON); throws with the offending field on anything invalid. */
export function parsePolicy(text: string): AuditPolicy {
  const doc: unknown = parseYaml(text);
  if (!isObj(doc)) throw new Error('audit policy: not an object');
  if (doc['apiVersion'] !== 'audit.k8s.io/v1' || doc['kind'] !== 'Policy')
    throw new Error('audit policy: apiVersion must be audit.k8s.io/v1 and kind Policy');
  if (!Array.isArray(doc['rules']) || doc['rules'].length === 0)
    throw new Error('audit policy: rules must be a non-empty list');
  return {
    rules: doc['rules'].map(parseRule),
    omitStages: stages(doc['omitStages'], 'omitStages'),
    omitManagedFields: doc['omitManagedFields'] === true,
  };
}
