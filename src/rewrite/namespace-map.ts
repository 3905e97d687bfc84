// The tenant's virtual <-> host namespace names for one request, read from the RECORDED mapping
// (never parsed from names). A virtual namespace without a host namespace yet maps to a name that
// cannot belong to anyone else (hashed with the tenant), so a reference to it matches nothing.
import { createHash } from 'node:crypto';

export class NamespaceMap {
  private readonly toVirtual = new Map<string, string>();

  private readonly toHost: Map<string, string>;

  constructor(
    readonly tenant: string,
    toHost: ReadonlyMap<string, string>,
    /** The tenant store's resourceVersion the mapping was read at (watchers of new mappings resume there). */
    readonly readAtRV = 0,
    /** The Tenant's UID: namespace selectors are fenced by it too (a re-created tenant of the same name is another tenant). */
    readonly tenantUid = '',
  ) {
    this.toHost = new Map(toHost);
    for (const [v, h] of toHost) this.toVirtual.set(h, v);
  }

  /** Learns a mapping recorded after this map was read (a namespace created during a watch). */
  add(ns: string, hostNs: string): void {
    this.toHost.set(ns, hostNs);
    this.toVirtual.set(hostNs, ns);
  }

  /** The recorded host namespace of `ns`, if it has one. */
  hostOf(ns: string): string | undefined {
    return this.toHost.get(ns);
  }

  /** For references in bodies and selectors: the host name, or a placeholder nobody owns. */
  hostRef(ns: string): string {
    return this.toHost.get(ns) ?? unownedName(this.tenant, ns);
  }

  virtualOf(hostNs: string): string | undefined {
    return this.toVirtual.get(hostNs);
  }

  /** Virtual namespaces with a host namespace, sorted by virtual name. */
  entries(): [virtual: string, host: string][] {
    return [...this.toHost].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** Host names, longest first (so a replacement never stops at a shorter prefix). */
  hostNames(): string[] {
    return [...this.toVirtual.keys()].sort((a, b) => b.length - a.length);
  }
}

/**
 * A host name no tenant can ever own: every tenant's host namespaces start with `<tenant>-`, and
 * tenant names starting with `kplex-` (or `kplex` itself) are reserved (tenancy/tenant-name.ts).
 */
export function unownedName(tenant: string, ns: string): string {
  return `kplex-none-${createHash('sha256').update(`${tenant}\0${ns}`).digest('hex').slice(0, 16)}`;
}
