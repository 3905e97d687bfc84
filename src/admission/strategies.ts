// admissionregistration.k8s.io/v1 and flowcontrol.apiserver.k8s.io/v1 kinds as virtual,
// cluster-scoped resources of a tenant: v1 defaulting, the apiserver's validation, status only
// through /status. Stored and served only: kplex does not (yet) call the webhooks or evaluate
// the policies, and flow-control objects do not shape request handling.
import type { KubeObject } from '../api/object.js';
import type { FieldError } from '../api/status.js';
import { validateAnnotations } from '../apiextensions/index.js';
import { validateLabels } from '../api/labels.js';
import type { FullStrategy, StrategyContext } from '../registry/strategy.js';
import type { AdmissionKind } from './kinds.js';
import { VIRTUAL_KINDS } from './virtual-kinds.js';
import { builtinPatchSchema } from '../registry/builtin-patch-schema.js';

const metadataErrors = (obj: KubeObject): FieldError[] => [
  ...validateLabels(obj.metadata?.labels, 'metadata.labels'),
  ...validateAnnotations(obj.metadata?.annotations, 'metadata.annotations'),
];

export function admissionStrategy(k: AdmissionKind): FullStrategy {
  const validate = (obj: KubeObject, ctx: StrategyContext): FieldError[] => {
    if (ctx.subresource === 'status') return [...metadataErrors(obj), ...(k.validateStatus?.(obj) ?? [])];
    return [...metadataErrors(obj), ...k.validate(obj)];
  };
  const selectable = ['metadata.name', ...(k.namespaced ? ['metadata.namespace'] : [])];
  return {
    nameValidation: 'dns1123-subdomain',
    allowCreateOnUpdate: false,
    allowUnconditionalUpdate: k.unconditionalUpdate,
    strategicMergePatch: true,
    tracksGeneration: k.generation ?? true,
    patchSchema: () => builtinPatchSchema(k.group, 'v1', k.kind),
    applyDefaults: (obj) => k.defaults(obj),
    prepareForCreate(obj: KubeObject) {
      k.defaults(obj);
      if (k.status) obj['status'] = k.emptyStatus?.() ?? {};
    },
    prepareForUpdate(obj: KubeObject) {
      k.defaults(obj);
    },
    validateCreate: validate,
    validateUpdate: (obj, old, ctx) => [
      ...validate(obj, ctx),
      ...(ctx.subresource === 'status' ? [] : (k.validateUpdate?.(obj, old) ?? [])),
    ],
    pruneUnknownFields: () => [],
    selectableFields: (obj) => k.selectableFields?.(obj) ?? {},
    selectableFieldNames: () => [...selectable, ...Object.keys(k.selectableFields?.({}) ?? {})],
    printerColumns: () => [...(k.printerColumns ?? [])],
  };
}

let shared: Readonly<Record<string, FullStrategy>> | undefined;

/** Strategies by the name the resource table rows carry (`admission-<resource>`); stateless, shared by all tenants. */
export function admissionStrategies(): Readonly<Record<string, FullStrategy>> {
  shared ??= Object.freeze(
    Object.fromEntries(VIRTUAL_KINDS.map((k) => [`admission-${k.resource}`, admissionStrategy(k)])),
  );
  return shared;
}
