// The patch/apply engine (src/patch), loaded lazily so the registry works (without managedFields
// tracking) while that package is absent. Signatures follow the src/patch contract.
import type { KubeObject } from '../api/object.js';
import { internalError } from '../api/status.js';
import type { SchemaNode } from '../patch/types.js';

export interface PatchEngine {
  jsonPatch(orig: KubeObject, patch: unknown): KubeObject;
  mergePatch(orig: KubeObject, patch: unknown): KubeObject;
  strategicMergePatch(orig: KubeObject, patch: unknown, schema?: SchemaNode): KubeObject;
  serverSideApply(
    live: KubeObject | undefined,
    applied: KubeObject,
    opts: { manager: string; force: boolean; schema?: SchemaNode; subresource?: string; now: Date },
  ): KubeObject | { object: KubeObject };
  updateManagedFields(
    old: KubeObject | undefined,
    updated: KubeObject,
    opts: { manager: string; operation: 'Update'; subresource?: string; schema?: SchemaNode; now: Date },
  ): KubeObject | { object: KubeObject };
  defaultFieldManager(userAgent: string): string;
}

let loaded: Promise<PatchEngine | undefined> | undefined;
let override: PatchEngine | undefined;

/** Lets the server (or a test) install an engine explicitly. */
export function setPatchEngine(engine: PatchEngine | undefined): void {
  override = engine;
}

export async function loadPatchEngine(): Promise<PatchEngine | undefined> {
  if (override) return override;
  // A computed specifier keeps the type checker from requiring the module before it exists.
  const spec = '../patch/index.js';
  loaded ??= import(spec).then(
    (m: unknown) => m as PatchEngine,
    () => undefined,
  );
  return loaded;
}

export async function requirePatchEngine(): Promise<PatchEngine> {
  const e = await loadPatchEngine();
  if (!e) throw internalError(new Error('the patch engine is not available'));
  return e;
}

export function unwrap(r: KubeObject | { object: KubeObject }): KubeObject {
  return 'object' in r && r.object && typeof r.object === 'object' && !('metadata' in r && 'kind' in r)
    ? (r.object as KubeObject)
    : (r as KubeObject);
}

/** userAgent's default manager name when the engine is absent: the first token before '/'. */
export function fallbackFieldManager(userAgent: string | undefined): string {
  const ua = userAgent ?? '';
  const first = ua.split('/')[0] ?? '';
  return first.slice(0, 128);
}
