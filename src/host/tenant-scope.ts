// What host passthrough needs to know about a tenant, read from its runtime: its namespaces, their
// recorded host namespaces, and how to create a host namespace on first write.
import type { ChangeEvent, Watcher } from '../store/types.js';
import { NamespaceMap } from '../rewrite/namespace-translator.js';
import type { TenantRuntime } from '../tenancy/tenant-runtime.js';
import { DEFAULT_POLICY, type TenantPolicy } from '../limits/tenant-policy.js';

export interface TenantScope {
  tenant: string;
  /** The Tenant's policy (spec.policy), current. */
  policy(): TenantPolicy;
  /** Virtual namespaces (existing, with a recorded host namespace) ↔ host namespaces. */
  namespaceMap(): NamespaceMap;
  /** True when the virtual namespace exists. */
  namespaceExists(ns: string): boolean;
  /** The host namespace of an existing virtual namespace, created on first need. */
  ensureHostNamespace(ns: string): Promise<string>;
  /**
   * Calls `cb` for every host namespace recorded after store version `fromRV` (a NamespaceMap's
   * readAtRV: nothing between reading the map and subscribing is missed); returns the unsubscribe.
   */
  onHostNamespace(fromRV: number, cb: (virtual: string, host: string) => void): () => void;
  /** A host object was deleted through kplex (the host's answer, the request's query and body): its virtual dependents follow. */
  hostObjectDeleted(answer: Record<string, unknown>, query: URLSearchParams, body: Buffer): void;
}

/** What a DELETE asked for: propagation (the query, else the DeleteOptions body, else Background) and dry run. */
function deleteOptions(query: URLSearchParams, body: Buffer): { propagation: string; dryRun: boolean } {
  let opts: { propagationPolicy?: unknown; orphanDependents?: unknown; dryRun?: unknown } = {};
  try {
    opts = body.length ? (JSON.parse(body.toString('utf8')) as typeof opts) : {};
  } catch {
    // not JSON (a protobuf DeleteOptions): the defaults
  }
  if (typeof opts !== 'object' || opts === null) opts = {};
  const dryRun = query.has('dryRun') || (Array.isArray(opts.dryRun) && opts.dryRun.length > 0);
  const q = query.get('propagationPolicy');
  if (q) return { propagation: q, dryRun };
  if (typeof opts.propagationPolicy === 'string') return { propagation: opts.propagationPolicy, dryRun };
  const orphan = opts.orphanDependents === true || query.get('orphanDependents') === 'true';
  return { propagation: orphan ? 'Orphan' : 'Background', dryRun };
}

/** Where HostNamespaces records the mapping (src/tenancy/host-namespaces.ts, mappingKey). */
const MAPPINGS = { group: 'kplex.io', resource: 'internal.hostnamespaces' };

const NAMESPACES = { group: '', resource: 'namespaces' };

const maps = new WeakMap<
  TenantRuntime,
  { version: string; rv: number; entries: Map<string, string>; map: NamespaceMap }
>();

/**
 * Names of namespaces or mappings changed after `fromRV` (the change log replayed to a watch that
 * stops at once); undefined when the log no longer reaches back that far.
 */
function changedSince(store: TenantRuntime['store'], fromRV: number): Set<string> | undefined {
  const names = new Set<string>();
  try {
    for (const r of [NAMESPACES, MAPPINGS])
      store.watch({ ...r, fromRV }, (e) => names.add(e.key.name)).stop();
  } catch {
    return undefined;
  }
  return names;
}

export function tenantScope(rt: TenantRuntime): TenantScope {
  const store = rt.store;
  const recorded = (ns: string): string | undefined => rt.deps.hostNamespaces?.recorded(store, ns);
  return {
    tenant: rt.tenant,
    policy: () => rt.deps.policyOf?.(rt.deps.uid) ?? DEFAULT_POLICY,
    namespaceMap() {
      // Re-read only when a namespace or a mapping changed, and then only the names that did
      // (a tenant's thousands of namespaces are not read again for each new one).
      const cached = maps.get(rt);
      // Nothing of the tenant's was written since the last look: not even the versions are read.
      const rv = store.currentRV();
      if (cached?.rv === rv) return cached.map;
      const version = `${store.lastChangeRV(NAMESPACES.group, NAMESPACES.resource)}/${store.lastChangeRV(MAPPINGS.group, MAPPINGS.resource)}`;
      if (cached?.version === version) {
        cached.rv = rv; // no namespace or mapping changed up to rv
        return cached.map;
      }
      const changed = cached && changedSince(store, cached.rv);
      let entries: Map<string, string>;
      if (cached && changed) {
        entries = cached.entries;
        for (const ns of changed) {
          const h = store.get({ ...NAMESPACES, namespace: '', name: ns }) ? recorded(ns) : undefined;
          if (h) entries.set(ns, h);
          else entries.delete(ns);
        }
      } else {
        entries = new Map();
        for (const s of store.list(NAMESPACES).items) {
          const h = recorded(s.key.name);
          if (h) entries.set(s.key.name, h);
        }
      }
      const map = new NamespaceMap(rt.tenant, entries, rv, rt.identity.uid);
      map.isHostKind = (apiVersion, kind) => rt.isHostKind(apiVersion, kind);
      map.onVirtualOwned = (hostNs) => rt.hostOwned?.written(hostNs);
      maps.set(rt, { version, rv, entries, map });
      return map;
    },
    hostObjectDeleted(answer, query, body) {
      const opts = deleteOptions(query, body);
      if (opts.dryRun) return; // the host deleted nothing
      // A DELETE answers with the object (still there while finalizers run) or a Status naming its uid.
      const meta = answer['metadata'] as { uid?: unknown; finalizers?: unknown } | undefined;
      const details = answer['details'] as { uid?: unknown } | undefined;
      const uid = answer['kind'] === 'Status' ? details?.uid : meta?.uid;
      // In the background an owner whose finalizers still hold it is not gone yet (Orphan and
      // Foreground settle the dependents first, as the host's own finalizers do).
      const held = Array.isArray(meta?.finalizers) && meta.finalizers.length > 0;
      if (opts.propagation === 'Background' && held) return;
      if (typeof uid === 'string' && uid && store.dependentsOf(uid).length)
        rt.gc.hostOwnerDeleted(uid, opts.propagation);
    },
    namespaceExists: (ns) => store.get({ ...NAMESPACES, namespace: '', name: ns }) !== undefined,
    ensureHostNamespace: (ns) => rt.lifecycle.ensureHostNamespace(ns),
    onHostNamespace(fromRV, cb) {
      const onEvent = (e: ChangeEvent): void => {
        const host = (e.object as { hostNamespace?: string }).hostNamespace;
        if (e.type === 'ADDED' && host) cb(e.key.name, host);
      };
      let w: Watcher;
      try {
        w = store.watch({ ...MAPPINGS, fromRV }, onEvent);
      } catch {
        w = store.watch({ ...MAPPINGS, fromRV: store.currentRV() }, onEvent); // log compacted past fromRV
      }
      return () => w.stop();
    },
  };
}
