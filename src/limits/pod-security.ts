// The Pod Security labels of a tenant's host namespace: per mode, the stricter of the Tenant's
// floor and the level the tenant labelled its own (virtual) namespace with. The HOST's PodSecurity
// admission then enforces it on every pod in the namespace, controller-made ones included; the
// tenant never sees or writes host namespace labels, so it can only ever tighten a level.
import { PSA_LEVELS, type PodSecurityPolicy, type PsaLevel } from './tenant-policy.js';

export const PSA_PREFIX = 'pod-security.kubernetes.io/';
const MODES = ['enforce', 'warn', 'audit'] as const;

const rank = (l: PsaLevel): number => PSA_LEVELS.indexOf(l);

/** The stricter level; a value that is no level (a tenant's typo) counts for nothing. */
export function stricter(floor: PsaLevel, tenants: string | undefined): PsaLevel {
  const t = PSA_LEVELS.find((l) => l === tenants);
  return t && rank(t) > rank(floor) ? t : floor;
}

/** The pod-security.kubernetes.io/* labels kplex sets on the host namespace. */
export function podSecurityLabels(
  policy: PodSecurityPolicy,
  tenantLabels: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of MODES) {
    out[`${PSA_PREFIX}${m}`] = stricter(policy[m], tenantLabels?.[`${PSA_PREFIX}${m}`]);
    out[`${PSA_PREFIX}${m}-version`] = policy.version;
  }
  return out;
}

/** True when two label sets differ in a Pod Security label. */
export function podSecurityLabelsDiffer(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): boolean {
  const keys = new Set(
    [...Object.keys(a ?? {}), ...Object.keys(b ?? {})].filter((k) => k.startsWith(PSA_PREFIX)),
  );
  for (const k of keys) if (a?.[k] !== b?.[k]) return true;
  return false;
}
