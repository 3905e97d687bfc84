// The resource table's row type. ONE table says, for every group/version/resource a tenant can
// address, where it lives and how it behaves; routing, rewriting, discovery and OpenAPI read it.

/** Where objects of a resource live (../../docs/architecture.md, "Where objects live"). */
export type Placement =
  | 'virtual' //      the tenant's SQLite store
  | 'host' //         the host namespace of the tenant's namespace, rewritten both ways
  | 'host-view' //    host objects, read-only, filtered and sanitized
  | 'refused'; //     not served to tenants

export interface ScaleSubresource {
  specReplicasPath: string; // e.g. .spec.replicas
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface PrinterColumn {
  name: string;
  type: string; // integer, number, string, boolean, date
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
  /** What a missing field prints as: a built-in kind's Go zero value (a non-pointer bool: false). */
  zero?: string | number | boolean;
}

export interface ResourceInfo {
  group: string; // '' for core
  version: string;
  resource: string; // plural, lower case
  kind: string;
  listKind: string;
  singular: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  placement: Placement;
  /** The version objects are stored in (one per group/resource); others are converted (None). */
  storageVersion: boolean;
  /** Served versions of this group/resource, preferred first: used by discovery. */
  subresources?: {
    status?: boolean;
    scale?: ScaleSubresource;
    /** namespaces/finalize */ finalize?: boolean;
    /** certificatesigningrequests/approval */ approval?: boolean;
  };
  printerColumns?: PrinterColumn[];
  /** Name of the strategy that gives the resource its validation, defaulting and fields. */
  strategy?: string;
  /**
   * Subresource ('' for the resource itself) -> the computed resource that answers it: kplex makes
   * the answer from the request alone, never stores it and never asks the host (reviews, TokenRequest).
   */
  computed?: Readonly<Record<string, string>>;
}

export const groupVersion = (r: { group: string; version: string }): string =>
  r.group ? `${r.group}/${r.version}` : r.version;
