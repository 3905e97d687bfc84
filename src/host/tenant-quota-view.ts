// What the tenant reads of the tenant-wide quota: kplex keeps a ResourceQuota tenant-quota.kplex.io
// in every host namespace of the tenant (its hard limits, enforced per namespace by the host too);
// a read through kplex shows it with the WHOLE tenant's usage and limits (the host's status counts
// one namespace). Also: a create refused by kplex's pod webhook for the quota reads as the
// apiserver's own quota refusal, not as a webhook's.
import {
  formatMilli,
  isBinary,
  milliOf,
  TENANT_QUOTA_NAME,
  type QuotaUsage,
} from '../limits/tenant-quota.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTenantQuota = (o: unknown): o is Obj =>
  isObj(o) && isObj(o['metadata']) && o['metadata']['name'] === TENANT_QUOTA_NAME;

function lists(f: { hard: Record<string, string>; used: QuotaUsage }): { hard: Obj; used: Obj } {
  const hard: Obj = {};
  const used: Obj = {};
  for (const [k, q] of Object.entries(f.hard)) {
    const v = milliOf(q);
    if (v === undefined) continue;
    hard[k] = formatMilli(v, isBinary(q));
    used[k] = formatMilli(f.used[k] ?? 0n, isBinary(q));
  }
  return { hard, used };
}

/** The printer's REQUEST and LIMIT cells: `name: used/hard` sorted by name, limits.* in LIMIT. */
function cells(l: { hard: Obj; used: Obj }): [string, string] {
  const req: string[] = [];
  const lim: string[] = [];
  for (const k of Object.keys(l.hard).sort())
    (k.startsWith('limits.') ? lim : req).push(`${k}: ${String(l.used[k])}/${String(l.hard[k])}`);
  return [req.join(', '), lim.join(', ')];
}

/** Rewrites the tenant quota object wherever a response body (object, list, Table) holds it. */
export function showTenantQuota(
  body: unknown,
  figures: () => { hard: Record<string, string>; used: QuotaUsage },
): void {
  if (!isObj(body)) return;
  let l: { hard: Obj; used: Obj } | undefined;
  const shown = () => (l ??= lists(figures()));
  const rewrite = (o: unknown) => {
    if (!isTenantQuota(o)) return;
    o['spec'] = { ...(isObj(o['spec']) ? o['spec'] : {}), hard: { ...shown().hard } };
    o['status'] = { hard: { ...shown().hard }, used: { ...shown().used } };
  };
  if (body['kind'] === 'Table') {
    const cols = Array.isArray(body['columnDefinitions']) ? (body['columnDefinitions'] as Obj[]) : [];
    const at = (name: string) => cols.findIndex((c) => c['name'] === name);
    for (const row of Array.isArray(body['rows']) ? (body['rows'] as Obj[]) : []) {
      const o = row['object'];
      const named = isObj(o) && isObj(o['metadata']) ? o['metadata']['name'] : undefined;
      const c = Array.isArray(row['cells']) ? (row['cells'] as unknown[]) : [];
      if (named !== TENANT_QUOTA_NAME && c[0] !== TENANT_QUOTA_NAME) continue;
      rewrite(o);
      const [request, limit] = cells(shown());
      if (at('Request') >= 0) c[at('Request')] = request;
      if (at('Limit') >= 0) c[at('Limit')] = limit;
    }
    return;
  }
  if (Array.isArray(body['items'])) for (const i of body['items']) rewrite(i);
  else rewrite(body);
}

const WEBHOOK_QUOTA_DENIAL = new RegExp(
  `^admission webhook "pods\\.kplex\\.io" denied the request: (pods (?:"[^"]*" )?is forbidden: exceeded quota: ${TENANT_QUOTA_NAME.replace(/\./g, '\\.')}, )`,
);

/** A Status of kplex's pod webhook refusing for the tenant quota: the apiserver's own words. */
export function unwrapQuotaDenial(status: unknown): void {
  if (!isObj(status) || status['kind'] !== 'Status' || typeof status['message'] !== 'string') return;
  status['message'] = status['message'].replace(WEBHOOK_QUOTA_DENIAL, '$1');
}
