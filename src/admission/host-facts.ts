// What the workload policy plugins must know of the host beyond the object being written, asked
// only when a plugin needs it (each answer costs a host read). Implemented by the passthrough
// (host/host-facts.ts); every answer is in the tenant's names and names nothing of others.

/** A Service of the tenant, as far as its tenant-wide caps count it. */
export interface TenantService {
  /** `<virtual namespace>/<name>`. */
  key: string;
  nodePorts: number;
  loadBalancer: boolean;
}

export interface HostFacts {
  /** IPs of the tenant's own pods (not host-network) in its virtual namespace `ns`. */
  podIPs(ns: string): Promise<ReadonlySet<string>>;
  /** Every Service of the tenant, in all its namespaces. */
  services(): Promise<readonly TenantService[]>;
  /** Ingress host names (rules and TLS) held by Ingresses outside the tenant's namespaces. */
  foreignIngressHosts(): Promise<readonly string[]>;
  /** Whether the PersistentVolume `name` is one the tenant sees (bound to a claim of its own). */
  volumeVisible(name: string): Promise<boolean>;
  /**
   * The pod address ranges of the host's nodes (spec.podCIDRs) and the address (/32, /128) of every
   * pod outside the tenant's namespaces now (for CNIs whose IPAM ignores spec.podCIDRs).
   */
  podCIDRs(): Promise<readonly string[]>;
  /** The host nodes' InternalIP and ExternalIP addresses. */
  nodeAddresses(): Promise<readonly string[]>;
}
