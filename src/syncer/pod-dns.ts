// A tenant pod's DNS: the webhook points its resolver at kplex's DNS server with the search list a
// pod of the tenant's own cluster would have (the kubelet's ClusterFirst list is built from the
// HOST namespace, `demo-team-a.svc.cluster.local`, which would both miss the tenant's names and
// show the host's), and the tenant's view puts back what the pod asked for, from a record the
// webhook keeps in a kplex.io/ annotation (a tenant can neither write nor read those).
import { isObject } from '../api/object.js';
import { ANNOTATION_DNS, arr, type Obj } from './pod-wiring.js';

interface DNSOption {
  name: string;
  value?: string;
}

export interface PodDNSSettings {
  dnsPolicy: 'None';
  dnsConfig: { nameservers: string[]; searches: string[]; options: DNSOption[] };
}

/** The pod validation's limits (k8s.io/kubernetes pkg/apis/core/validation), as the kubelet trims to. */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;
const MAX_SEARCH_CHARS = 2048;

/** The policies whose resolver is the cluster's DNS: those are the tenant's, through kplex. */
const CLUSTER_POLICIES = new Set(['ClusterFirst', 'ClusterFirstWithHostNet']);

/**
 * The `dnsPolicy`/`dnsConfig` of a tenant pod in virtual namespace `namespace`, resolving through
 * `nameserver` (the address pods reach kplex's DNS on, a Service ClusterIP on a real cluster).
 * The pod's own `dnsConfig` is merged as the kubelet merges it for ClusterFirst: its nameservers
 * and searches after the cluster's (duplicates dropped, trimmed to what validation admits), its
 * options overriding ours by name.
 */
export function tenantPodDNSConfig(
  namespace: string,
  nameserver: string,
  own?: { nameservers?: string[]; searches?: string[]; options?: DNSOption[] },
  zone = 'cluster.local',
): PodDNSSettings {
  const nameservers = [...new Set([nameserver, ...(own?.nameservers ?? [])])].slice(0, MAX_NAMESERVERS);
  const searches: string[] = [];
  let chars = -1;
  for (const s of [`${namespace}.svc.${zone}`, `svc.${zone}`, zone, ...(own?.searches ?? [])]) {
    if (searches.includes(s)) continue;
    if (searches.length === MAX_SEARCHES || chars + 1 + s.length > MAX_SEARCH_CHARS) break;
    searches.push(s);
    chars += 1 + s.length;
  }
  const options: DNSOption[] = [{ name: 'ndots', value: '5' }];
  for (const o of own?.options ?? []) {
    const i = options.findIndex((x) => x.name === o.name);
    if (i >= 0) options[i] = o;
    else options.push(o);
  }
  return { dnsPolicy: 'None', dnsConfig: { nameservers, searches, options } };
}

/** What the pod asked for, kept on the host pod so the tenant's view can put it back. */
interface DNSRecord {
  dnsPolicy: string;
  dnsConfig?: Obj;
}

/**
 * Points a pod spec at kplex's DNS (in place) unless it resolves on its own: `dnsPolicy: None`
 * (its own dnsConfig, kept as vCluster keeps it, and a pod translated before), `Default` (the
 * node's resolver), and ClusterFirst on the host network (the kubelet gives those the node's too).
 */
export function dnsToHost(
  spec: Obj,
  annotations: Record<string, unknown>,
  namespace: string,
  nameserver: string,
): void {
  const policy = typeof spec['dnsPolicy'] === 'string' ? spec['dnsPolicy'] : 'ClusterFirst';
  if (!CLUSTER_POLICIES.has(policy)) return;
  if (policy === 'ClusterFirst' && spec['hostNetwork'] === true) return;
  const own = isObject(spec['dnsConfig']) ? spec['dnsConfig'] : undefined;
  const record: DNSRecord = { dnsPolicy: policy, ...(own ? { dnsConfig: own } : {}) };
  const settings = tenantPodDNSConfig(namespace, nameserver, {
    nameservers: strings(own?.['nameservers']),
    searches: strings(own?.['searches']),
    options: arr(own?.['options']).filter(
      (o): o is DNSOption =>
        isObject(o) &&
        typeof o['name'] === 'string' &&
        (o['value'] === undefined || typeof o['value'] === 'string'),
    ),
  });
  annotations[ANNOTATION_DNS] = JSON.stringify(record);
  spec['dnsPolicy'] = settings.dnsPolicy;
  spec['dnsConfig'] = settings.dnsConfig;
}

/** The nameserver kplex wrote into a host pod (undefined: the webhook left its DNS alone). */
export function injectedNameserver(pod: Obj): string | undefined {
  const spec = isObject(pod['spec']) ? pod['spec'] : undefined;
  if (!spec || spec['dnsPolicy'] !== 'None' || !record(pod)) return undefined;
  const first = isObject(spec['dnsConfig']) ? arr(spec['dnsConfig']['nameservers'])[0] : undefined;
  return typeof first === 'string' ? first : undefined;
}

/**
 * An UPDATE of a pod kplex pointed at its DNS that arrives in host form (`dnsPolicy: None`: the
 * host's object, or a server-side apply merged into it, which replaces the merged searches with
 * the tenant's own): what the tenant asks for is that form without kplex's parts (its nameserver,
 * the three cluster searches, `ndots:5`), translated again. When that gives the created settings
 * the pod keeps them, record included; otherwise the changed settings go to the host, whose
 * immutability error answers as the apiserver would. (A tenant's view, ClusterFirst, is simply
 * translated again by translatePod.)
 */
export function hostFormUpdate(out: Obj, incoming: Obj, old: Obj, namespace: string): void {
  const inSpec = incoming['spec'];
  const oldSpec = old['spec'];
  const outSpec = out['spec'];
  const nameserver = injectedNameserver(old);
  const rec = record(old);
  if (!isObject(inSpec) || inSpec['dnsPolicy'] !== 'None' || !isObject(oldSpec) || !isObject(outSpec)) return;
  if (nameserver === undefined || !rec) return;
  const cfg = isObject(inSpec['dnsConfig']) ? inSpec['dnsConfig'] : {};
  const ours = new Set(tenantPodDNSConfig(namespace, nameserver).dnsConfig.searches);
  const own = {
    nameservers: strings(cfg['nameservers']).filter((n) => n !== nameserver),
    searches: strings(cfg['searches']).filter((x) => !ours.has(x)),
    options: arr(cfg['options']).filter(
      (o): o is DNSOption =>
        isObject(o) &&
        typeof o['name'] === 'string' &&
        (o['value'] === undefined || typeof o['value'] === 'string') &&
        !(o['name'] === 'ndots' && o['value'] === '5'),
    ),
  };
  const again = tenantPodDNSConfig(namespace, nameserver, own).dnsConfig;
  const meta = out['metadata'];
  if (JSON.stringify(again) !== JSON.stringify(oldSpec['dnsConfig'])) {
    outSpec['dnsConfig'] = again;
    return;
  }
  outSpec['dnsConfig'] = structuredClone(oldSpec['dnsConfig']);
  if (isObject(meta))
    meta['annotations'] = {
      ...(isObject(meta['annotations']) ? meta['annotations'] : {}),
      [ANNOTATION_DNS]: JSON.stringify(rec),
    };
}

/** Undoes dnsToHost in place (call before kplex.io/ annotations are dropped). */
export function dnsToVirtual(pod: Obj): void {
  const spec = pod['spec'];
  const rec = record(pod);
  if (!isObject(spec) || spec['dnsPolicy'] !== 'None' || !rec) return;
  spec['dnsPolicy'] = rec.dnsPolicy;
  if (rec.dnsConfig) spec['dnsConfig'] = rec.dnsConfig;
  else delete spec['dnsConfig'];
}

function record(pod: Obj): DNSRecord | undefined {
  const meta = pod['metadata'];
  const raw =
    isObject(meta) && isObject(meta['annotations']) ? meta['annotations'][ANNOTATION_DNS] : undefined;
  if (typeof raw !== 'string') return undefined;
  try {
    const r = JSON.parse(raw) as unknown;
    if (!isObject(r) || typeof r['dnsPolicy'] !== 'string' || !CLUSTER_POLICIES.has(r['dnsPolicy']))
      return undefined;
    if (r['dnsConfig'] !== undefined && !isObject(r['dnsConfig'])) return undefined;
    return r as unknown as DNSRecord;
  } catch {
    return undefined;
  }
}

const strings = (v: unknown): string[] => arr(v).filter((s): s is string => typeof s === 'string');
