// A tenant's PriorityClasses and RuntimeClasses reach the host as host classes of tenant-owned
// names (host-classes.ts), and every pod spec a tenant writes (pods, and the templates host
// controllers make pods from) names them in host form on the way in and in the tenant's form on
// the way out. The host's Priority and RuntimeClass admission run before any webhook, so a
// controller-made pod must already carry the host name in its template.
//
// Host name: `kplex-<tag>-<name>`, tag = 12 hex of sha256(tenant UID): one tenant's names never
// meet another's, and a name a tenant writes can only become a name under its own tag. A name too
// long for that (over 234 characters) becomes `kplex-<tag>.<sha256(name)[:40]>` (a dot after the
// tag, which the short form never has) and the pod or template records the tenant's name in a
// kplex.io/ annotation of its metadata. The host's system PriorityClasses keep their names (the
// Tenant policy says whether a tenant may name them, admission/workload-policy.ts).
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { isObject } from '../api/object.js';
import { SYSTEM_PRIORITY_CLASSES } from '../limits/tenant-policy.js';

type Obj = Record<string, unknown>;

export type ClassKind = 'PriorityClass' | 'RuntimeClass';

/** The pod spec field naming each kind, and the annotation recording a hashed name's tenant form. */
const FIELDS: Readonly<Record<ClassKind, { field: string; record: string }>> = {
  PriorityClass: { field: 'priorityClassName', record: 'kplex.io/priority-class-name' },
  RuntimeClass: { field: 'runtimeClassName', record: 'kplex.io/runtime-class-name' },
};

/** Where an object keeps a pod spec, with its metadata: pods, pod templates, workloads, CronJobs. */
const POD_SPEC_PATHS: readonly (readonly string[])[] = [
  [],
  ['template'],
  ['spec', 'template'],
  ['spec', 'jobTemplate', 'spec', 'template'],
];

const MAX_NAME = 253;
const PREFIX = 'kplex-';

/**
 * Tags already computed: every object of a host list on its way to the tenant asks for its tenant's
 * (two SHA-256 per object were ~2.4 ms of a 1,000-item list). Bounded; a tag never changes.
 */
const tags = new LRUCache<string, string>({ max: 10_000 });

/** The tag of a tenant in host class names (the uid; the name when a caller has no uid). */
export function tenantTag(tenantUid: string): string {
  let tag = tags.get(tenantUid);
  if (tag === undefined) {
    tag = createHash('sha256').update(`kplex-classes\0${tenantUid}`).digest('hex').slice(0, 12);
    tags.set(tenantUid, tag);
  }
  return tag;
}

/** The host class of a tenant's class `name`. */
export function hostClassName(tenantUid: string, name: string): string {
  const short = `${PREFIX}${tenantTag(tenantUid)}-${name}`;
  if (short.length <= MAX_NAME) return short;
  return `${PREFIX}${tenantTag(tenantUid)}.${createHash('sha256').update(name).digest('hex').slice(0, 40)}`;
}

const isSystemClass = (kind: ClassKind, name: string): boolean =>
  kind === 'PriorityClass' && SYSTEM_PRIORITY_CLASSES.includes(name);

/** The host name a pod spec gets for a tenant's class (system PriorityClasses keep theirs). */
export const hostClassRef = (kind: ClassKind, tenantUid: string, name: string): string =>
  isSystemClass(kind, name) ? name : hostClassName(tenantUid, name);

/** Every pod spec of `obj` (with its metadata object, created on demand), by the `containers` it holds. */
function podSpecs(obj: Obj): { spec: Obj; parent: Obj }[] {
  const found: { spec: Obj; parent: Obj }[] = [];
  for (const path of POD_SPEC_PATHS) {
    let parent: unknown = obj;
    for (const k of path) parent = isObject(parent) ? parent[k] : undefined;
    if (!isObject(parent) || !isObject(parent['spec'])) continue;
    const spec = parent['spec'];
    // Only a pod spec (other kinds' `spec` holds no containers); an apply configuration may omit them.
    if (path.length === 0 && !('containers' in spec) && !classNamed(spec)) continue;
    found.push({ spec, parent });
  }
  return found;
}

const classNamed = (spec: Obj): boolean =>
  typeof spec['priorityClassName'] === 'string' || typeof spec['runtimeClassName'] === 'string';

function annotations(parent: Obj): Obj {
  const meta = isObject(parent['metadata']) ? parent['metadata'] : (parent['metadata'] = {});
  return isObject(meta['annotations']) ? meta['annotations'] : (meta['annotations'] = {});
}

/** Pod specs on their way to the host (after kplex.io/ keys were stripped): class names in host form. */
export function classNamesToHost(obj: unknown, tenantUid: string): void {
  if (!isObject(obj)) return;
  for (const { spec, parent } of podSpecs(obj))
    for (const kind of Object.keys(FIELDS) as ClassKind[]) {
      const { field, record } = FIELDS[kind];
      const name = spec[field];
      if (typeof name !== 'string' || !name) continue;
      const host = hostClassRef(kind, tenantUid, name);
      spec[field] = host;
      if (host.startsWith(`${PREFIX}${tenantTag(tenantUid)}.`)) annotations(parent)[record] = name;
    }
}

/**
 * kubectl's last-applied annotation, which the apiserver rewrites from a server-side apply's
 * configuration (the host's names then): the class names in it as the tenant wrote them.
 */
function lastAppliedToVirtual(obj: Obj, short: string): void {
  const meta = obj['metadata'];
  const ann = isObject(meta) ? meta['annotations'] : undefined;
  const v = isObject(ann) ? ann[LAST_APPLIED] : undefined;
  if (!isObject(ann) || typeof v !== 'string' || !v.includes(short)) return;
  let out = v;
  for (const { field } of Object.values(FIELDS)) out = out.replaceAll(`"${field}":"${short}`, `"${field}":"`);
  ann[LAST_APPLIED] = out;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Pod specs on their way to the tenant (before kplex.io/ keys are dropped): the names it wrote. */
export function classNamesToVirtual(obj: unknown, tenantUid: string): void {
  if (!isObject(obj)) return;
  const short = `${PREFIX}${tenantTag(tenantUid)}-`;
  lastAppliedToVirtual(obj, short);
  const hashed = `${PREFIX}${tenantTag(tenantUid)}.`;
  for (const { spec, parent } of podSpecs(obj))
    for (const { field, record } of Object.values(FIELDS)) {
      const host = spec[field];
      if (typeof host !== 'string') continue;
      if (host.startsWith(short)) spec[field] = host.slice(short.length);
      else if (host.startsWith(hashed)) {
        const meta = parent['metadata'];
        const was = isObject(meta) && isObject(meta['annotations']) ? meta['annotations'][record] : undefined;
        if (typeof was === 'string' && hostClassName(tenantUid, was) === host) spec[field] = was;
      }
    }
}
