// Host-backed owners deleted on the host itself (the host garbage collector's cascades, a Job's
// TTL, a host controller, any delete that did not pass through kplex): kplex hears of none of
// these, so it looks its virtual objects' host owners up as the apiserver's collector looks up a
// dependent's owners (attemptToDelete): by name, in the host namespace of the dependent, the uid
// compared. An absent owner (404, or another object under its name) is settled as deleted in the
// background; one being deleted with the `orphan` finalizer orphans its virtual dependents, with
// `foregroundDeletion` has them deleted. Owners are found through the store's owner index (the
// uids that ownerReferences name and no virtual object has), so a tenant without such objects
// pays one indexed query per sweep. Sweeps run while the tenant is in use, at most one every
// `intervalMs`, off the request path, each looking up at most `maxOwners` owners.
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import type { Logger } from '../log/logger.js';
import type { ResourceInfo } from '../resources/types.js';
import type { TenantStore } from '../store/types.js';

export interface HostOwnerSweepDeps {
  tenant: string;
  store: () => TenantStore;
  host: HostClient;
  /** The host namespace of the tenant's namespace `ns` (undefined: none, or terminating). */
  hostNamespaceOf: (ns: string) => string | undefined;
  /** The tenant's table row of an owner's kind (host-backed rows only are looked up). */
  rowOf: (apiVersion: string, kind: string) => ResourceInfo | undefined;
  /** Settles the virtual dependents of a gone (or orphaning) host owner (VirtualGarbageCollector). */
  hostOwnerDeleted: (uid: string, propagation: string) => void;
  logger: Logger;
  intervalMs?: number;
  maxOwners?: number;
}

type Verdict = 'live' | 'Background' | 'Orphan' | 'Foreground' | 'unknown';

export class HostOwnerSweep {
  private last = 0;
  private running = false;
  /** Where the next sweep starts in the owners list (a large list is looked at in turns). */
  private offset = 0;

  constructor(private readonly d: HostOwnerSweepDeps) {}

  /** The tenant is in use: sweep if the last sweep is old enough (never two at once). */
  touch(now = Date.now()): void {
    if (this.running || now - this.last < (this.d.intervalMs ?? 10_000)) return;
    this.last = now;
    this.running = true;
    void this.sweep()
      .catch((err: unknown) => this.d.logger.warn({ err, tenant: this.d.tenant }, 'host owner sweep failed'))
      .finally(() => (this.running = false));
  }

  /** One pass; the number of owners settled. */
  async sweep(): Promise<number> {
    const store = this.d.store();
    const owners = store.externalOwners?.() ?? [];
    if (owners.length === 0) return 0;
    const max = this.d.maxOwners ?? 200;
    if (this.offset >= owners.length) this.offset = 0;
    const turn = owners.slice(this.offset, this.offset + max);
    this.offset += max;
    let settled = 0;
    for (const uid of turn) {
      const verdict = await this.verdict(store, uid);
      if (verdict === 'live' || verdict === 'unknown') continue;
      this.d.hostOwnerDeleted(uid, verdict);
      settled++;
    }
    if (settled)
      this.d.logger.info(
        { tenant: this.d.tenant, settled },
        'virtual dependents of host owners deleted on the host',
      );
    return settled;
  }

  /** What became of host owner `uid`, looked up through one of its dependents' references. */
  private async verdict(store: TenantStore, uid: string): Promise<Verdict> {
    const key = store.dependentsOf(uid)[0];
    const dep: KubeObject | undefined = key ? store.get(key)?.object : undefined;
    const ref = dep?.metadata?.ownerReferences?.find((r) => r.uid === uid);
    if (!dep || !ref?.name) return 'unknown';
    const row = this.d.rowOf(ref.apiVersion ?? '', ref.kind ?? '');
    if (!row || (row.placement !== 'host' && row.placement !== 'host-view')) return 'unknown';
    let scope = '';
    if (row.namespaced) {
      const h = this.d.hostNamespaceOf(dep.metadata?.namespace ?? '');
      if (!h) return 'unknown'; // a cluster-scoped dependent cannot name a namespaced owner
      scope = `/namespaces/${encodeURIComponent(h)}`;
    }
    const base = row.group ? `/apis/${row.group}/${row.version}` : `/api/${row.version}`;
    const r = await this.d.host.request<KubeObject>(
      'GET',
      `${base}${scope}/${row.resource}/${encodeURIComponent(ref.name)}`,
    );
    if (r.status === 404) return 'Background';
    if (r.status !== 200 || !r.body) return 'unknown';
    const meta = r.body.metadata ?? {};
    if (meta.uid !== uid) return 'Background'; // another object took the name
    if (!meta.deletionTimestamp) return 'live';
    const finalizers = meta.finalizers ?? [];
    if (finalizers.includes('orphan')) return 'Orphan';
    if (finalizers.includes('foregroundDeletion')) return 'Foreground';
    return 'live'; // held by other finalizers: not gone yet
  }
}
