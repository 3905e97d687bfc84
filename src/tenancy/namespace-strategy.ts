// The Namespace kind in the virtual store, as the apiserver's namespace strategy: phase Active
// on create, the `kubernetes` finalizer in spec.finalizers, the kubernetes.io/metadata.name
// label, status only through /status, and deletion held in Terminating until the namespace
// lifecycle (namespace-lifecycle.ts) has emptied it and removed the finalizer.
import { fieldErr } from '../api/field-errors.js';
import type { KubeObject } from '../api/object.js';
import type { FieldError } from '../api/status.js';
import { validateAnnotations } from '../apiextensions/index.js';
import { validateLabels } from '../api/labels.js';
import { isQualifiedName } from '../api/name-validation.js';
import type { FullStrategy, StrategyContext } from '../registry/strategy.js';

export const NAMESPACE_FINALIZER = 'kubernetes';
const METADATA_NAME_LABEL = 'kubernetes.io/metadata.name';

interface NamespaceShape extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: unknown[] };
}

function setNameLabel(ns: NamespaceShape): void {
  const meta = (ns.metadata ??= {});
  if (meta.name) meta.labels = { ...(meta.labels ?? {}), [METADATA_NAME_LABEL]: meta.name };
}

function validate(ns: NamespaceShape): FieldError[] {
  const errs = [
    ...validateLabels(ns.metadata?.labels, 'metadata.labels'),
    ...validateAnnotations(ns.metadata?.annotations, 'metadata.annotations'),
  ];
  (ns.spec?.finalizers ?? []).forEach((f, i) => {
    for (const msg of isQualifiedName(f)) errs.push(fieldErr.invalid(`spec.finalizers[${i}]`, f, msg));
  });
  return errs;
}

export const namespaceStrategy: FullStrategy = {
  nameValidation: 'dns1123-label',
  strategicMergePatch: true,
  returnDeletedObject: true,
  tracksGeneration: false,
  statusKeepsOnlyStatus: false,
  defaultGarbageCollectionPolicy: 'DeleteDependents',

  prepareForCreate(obj: NamespaceShape, ctx: StrategyContext) {
    void ctx;
    obj.status = { phase: 'Active' };
    const finalizers = obj.spec?.finalizers ?? [];
    obj.spec = {
      ...(obj.spec ?? {}),
      finalizers: finalizers.includes(NAMESPACE_FINALIZER)
        ? finalizers
        : [...finalizers, NAMESPACE_FINALIZER],
    };
    setNameLabel(obj);
  },
  prepareForUpdate(obj: NamespaceShape, old: NamespaceShape, ctx: StrategyContext) {
    if (ctx.subresource === 'status') {
      obj.spec = old.spec;
    } else if (ctx.subresource === 'finalize') {
      // Only spec.finalizers change through /finalize.
      obj.status = old.status;
    } else {
      // spec.finalizers change only through /finalize; status only through /status.
      obj.spec = { ...(obj.spec ?? {}), finalizers: old.spec?.finalizers ?? [] };
      obj.status = old.status;
    }
    setNameLabel(obj);
  },
  validateCreate: (obj) => validate(obj),
  validateUpdate: (obj) => validate(obj),
  pruneUnknownFields: () => [],
  selectableFields: (obj: NamespaceShape) => ({ 'status.phase': obj.status?.phase ?? '' }),
  selectableFieldNames: () => ['metadata.name', 'status.phase'],
  printerColumns: () => [
    { name: 'Status', type: 'string', jsonPath: '.status.phase', description: 'The status of the namespace' },
    {
      name: 'Age',
      type: 'date',
      jsonPath: '.metadata.creationTimestamp',
      description:
        'CreationTimestamp is a timestamp representing the server time when this object was created.',
    },
  ],

  heldMessage:
    'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.',
  /** Marks a namespace for deletion; true while its finalizers keep it (phase Terminating). */
  holdForDeletion(obj: NamespaceShape, now: string): boolean {
    const meta = (obj.metadata ??= {});
    const pending = (obj.spec?.finalizers?.length ?? 0) > 0 || (meta.finalizers?.length ?? 0) > 0;
    if (!pending) return false;
    if (!meta.deletionTimestamp) {
      meta.deletionTimestamp = now;
      meta.deletionGracePeriodSeconds = 0;
    }
    obj.status = { ...(obj.status ?? {}), phase: 'Terminating' };
    return true;
  },
};
