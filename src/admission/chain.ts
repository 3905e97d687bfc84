// The admission chain (k8s.io/apiserver pkg/admission interfaces.go + chain.go): the tenant's
// plugins, in order, over one AdmissionAttributes, for virtual and host-backed writes alike. The
// plugins are registered in one place, plugins.ts.
import type { HostParamReader } from './policy/params.js';
import type { AdmissionAttributes } from './attributes.js';
import type { HostFacts } from './host-facts.js';
import type { HostClient } from '../hostapi/host-client.js';

/** What a plugin may read beyond the attributes, given by the caller (apiserver: ObjectInterfaces). */
export interface AdmissionEnv {
  /** Reads params of host-backed kinds in the tenant's names. */
  hostParams?: HostParamReader;
  /** What the host knows beyond the object (pod IPs, claimed names...), in the tenant's names. */
  host?: HostFacts;
  /** The host connection and the tenant's host namespace of a virtual one: where its webhooks' Services are. */
  hostClient?: HostClient;
  hostNamespaceOf?: (ns: string) => string | undefined;
  /** When the caller needs the verdict (epoch ms); webhook calls end by then. */
  deadline?: number;
  /** The tenant-wide quota: admits (and reserves) a create, or throws its refusal. */
  quota?: (r: {
    kind: 'services' | 'persistentvolumeclaims';
    hostNamespace: string;
    name: string;
    object: unknown;
    dryRun: boolean;
  }) => Promise<void>;
}

export interface AdmissionPlugin {
  readonly name: string;
  /** Whether the plugin acts on this request, from its coordinates alone: cheap, no I/O (Handles). */
  handles(a: AdmissionAttributes): boolean;
  /**
   * Judges the request before its objects are known and before any side effect (namespace
   * lifecycle: no content in a missing or terminating namespace). Throws the refusal.
   */
  validateRequest?(a: AdmissionAttributes): void;
  /**
   * Judges the object as the client sent it (not defaulted: a create, an update, a patched object
   * or an apply configuration), before the host sees it: for fields whose host answer would tell
   * the tenant something (a fixed node port or ClusterIP another holds). Throws the refusal.
   */
  validateSubmitted?(a: AdmissionAttributes): void;
  /**
   * Readies the host for the object as submitted, before the host sees it (the host classes a pod
   * names: the host resolves them in its own admission). Throws the refusal.
   */
  prepare?(a: AdmissionAttributes): Promise<void>;
  /**
   * Mutates `object` in place before any validation (tenant mutating webhooks); returns warnings,
   * throws the denial.
   */
  mutate?(a: AdmissionAttributes, env: AdmissionEnv): Promise<string[]>;
  /** Judges the objects (object, oldObject); returns warnings, throws the denial. */
  validate?(a: AdmissionAttributes, env: AdmissionEnv): Promise<string[]>;
}

export class AdmissionChain {
  constructor(readonly plugins: readonly AdmissionPlugin[]) {}

  /** The plugins' request checks; run before the caller does anything the request would cause. */
  admitRequest(a: AdmissionAttributes): void {
    for (const p of this.plugins) if (p.validateRequest && p.handles(a)) p.validateRequest(a);
  }

  /**
   * Whether a plugin judges this request's objects: host passthrough reads the current object and
   * dry-runs the write only then (writes no plugin covers cost nothing extra).
   */
  wantsObjects(a: AdmissionAttributes): boolean {
    return this.plugins.some(
      (p) => (p.validate || p.validateSubmitted || p.mutate || p.prepare) && p.handles(a),
    );
  }

  /** The plugins' checks of the object as sent (object = what the client sent, oldObject = stored). */
  admitSubmitted(a: AdmissionAttributes): void {
    for (const p of this.plugins) if (p.validateSubmitted && p.handles(a)) p.validateSubmitted(a);
  }

  /** The plugins' preparations for the object as submitted (before the host's dry run). */
  async prepareObjects(a: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) if (p.prepare && p.handles(a)) await p.prepare(a);
  }

  /** The mutation phase: `a.object` may change in place; the warnings to send. */
  async mutateObjects(a: AdmissionAttributes, env: AdmissionEnv = {}): Promise<string[]> {
    const warnings: string[] = [];
    for (const p of this.plugins) if (p.mutate && p.handles(a)) warnings.push(...(await p.mutate(a, env)));
    return warnings;
  }

  /** The plugins' object checks; the warnings to send. */
  async admitObjects(a: AdmissionAttributes, env: AdmissionEnv = {}): Promise<string[]> {
    const warnings: string[] = [];
    for (const p of this.plugins)
      if (p.validate && p.handles(a)) warnings.push(...(await p.validate(a, env)));
    return warnings;
  }

  /** All phases, for a caller that has the objects at once (the virtual registry): the warnings. */
  async admit(a: AdmissionAttributes, env: AdmissionEnv = {}): Promise<string[]> {
    this.admitRequest(a);
    const warnings = await this.mutateObjects(a, env);
    this.admitSubmitted(a);
    return [...warnings, ...(await this.admitObjects(a, env))];
  }
}
