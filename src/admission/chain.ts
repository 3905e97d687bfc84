// The admission chain (k8s.io/apiserver pkg/admission interfaces.go + chain.go): the tenant's
// plugins, in order, over one AdmissionAttributes, for virtual and host-backed writes alike. The
// plugins are registered in one place, plugins.ts.
import type { HostParamReader } from './policy/params.js';
import type { AdmissionAttributes } from './attributes.js';

/** What a plugin may read beyond the attributes, given by the caller (apiserver: ObjectInterfaces). */
export interface AdmissionEnv {
  /** Reads params of host-backed kinds in the tenant's names. */
  hostParams?: HostParamReader;
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
    return this.plugins.some((p) => p.validate && p.handles(a));
  }

  /** The plugins' object checks; the warnings to send. */
  async admitObjects(a: AdmissionAttributes, env: AdmissionEnv = {}): Promise<string[]> {
    const warnings: string[] = [];
    for (const p of this.plugins)
      if (p.validate && p.handles(a)) warnings.push(...(await p.validate(a, env)));
    return warnings;
  }

  /** Both, for a caller that has the objects at once (the virtual registry). */
  async admit(a: AdmissionAttributes, env: AdmissionEnv = {}): Promise<string[]> {
    this.admitRequest(a);
    return this.admitObjects(a, env);
  }
}
