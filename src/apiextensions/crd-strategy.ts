// Registry strategy for CustomResourceDefinition objects. There is no controller in kplex, so
// the NamesAccepted and Established conditions and acceptedNames are set on every write.
import { clonePlain } from '../api/object.js';
import type { KubeObject } from '../api/object.js';
import type { FieldError } from '../api/status.js';
import type { Strategy, StrategyContext } from '../registry/strategy.js';
import type { PrinterColumn } from '../resources/types.js';
import type { CRDCondition, CustomResourceDefinition } from './crd-types.js';
import {
  validateCustomResourceDefinition,
  validateCustomResourceDefinitionUpdate,
} from './crd-validation.js';

const asCRD = (o: KubeObject) => o as unknown as CustomResourceDefinition;

/** SetDefaults for v1 CRDs: singular, listKind, conversion strategy, a conversion Service's port. */
export function defaultCRD(crd: CustomResourceDefinition): void {
  const n = crd.spec?.names;
  if (n) {
    if (!n.singular && n.kind) n.singular = n.kind.toLowerCase();
    if (!n.listKind && n.kind) n.listKind = `${n.kind}List`;
  }
  if (crd.spec && !crd.spec.conversion) crd.spec.conversion = { strategy: 'None' };
  // SetDefaults_ServiceReference: a conversion webhook's Service port is 443.
  const service = (
    crd.spec?.conversion?.webhook as { clientConfig?: { service?: { port?: number } } } | undefined
  )?.clientConfig?.service;
  if (service && typeof service === 'object' && service.port === undefined) service.port = 443;
}

export function setCondition(conds: CRDCondition[], c: CRDCondition, now: string): void {
  const i = conds.findIndex((x) => x.type === c.type);
  if (i >= 0) {
    const old = conds[i]!;
    conds[i] = { ...c, lastTransitionTime: old.status === c.status ? old.lastTransitionTime : now };
  } else conds.push({ ...c, lastTransitionTime: now });
}

/** What the naming and establishing controllers would write, done at once. */
export function acceptCRD(
  crd: CustomResourceDefinition,
  now = new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
): void {
  const status = (crd.status ??= {});
  const n = crd.spec.names;
  status.acceptedNames = {
    plural: n.plural,
    singular: n.singular,
    kind: n.kind,
    listKind: n.listKind,
    shortNames: n.shortNames,
    categories: n.categories,
  };
  for (const k of ['shortNames', 'categories'] as const)
    if (!status.acceptedNames[k]) delete status.acceptedNames[k];
  const conds = (status.conditions ??= []);
  setCondition(
    conds,
    { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
    now,
  );
  const wasEstablished = conds.some((c) => c.type === 'Established' && c.status === 'True');
  if (!wasEstablished)
    setCondition(
      conds,
      {
        type: 'Established',
        status: 'True',
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
      },
      now,
    );
}

function addStoredVersion(crd: CustomResourceDefinition): void {
  const storage = crd.spec?.versions?.find((v) => v.storage);
  if (!storage) return;
  const status = (crd.status ??= {});
  const stored = (status.storedVersions ??= []);
  if (!stored.includes(storage.name)) stored.push(storage.name);
}

export const crdStrategy: Strategy = {
  nameValidation: 'dns1123-subdomain',
  prepareForCreate(obj) {
    const crd = asCRD(obj);
    defaultCRD(crd);
    crd.status = {};
    if (crd.metadata) crd.metadata.generation = 1;
    addStoredVersion(crd);
    acceptCRD(crd);
  },
  prepareForUpdate(obj, old, ctx: StrategyContext) {
    const crd = asCRD(obj);
    const prev = asCRD(old);
    defaultCRD(crd);
    if (ctx.subresource === 'status') {
      crd.spec = clonePlain(prev.spec);
      return;
    }
    // Status is written only through the status subresource; generation bumps are generic.
    crd.status = clonePlain(prev.status ?? {});
    addStoredVersion(crd);
    acceptCRD(crd);
  },
  validateCreate: (obj): FieldError[] => validateCustomResourceDefinition(asCRD(obj)),
  validateUpdate: (obj, old): FieldError[] => validateCustomResourceDefinitionUpdate(asCRD(obj), asCRD(old)),
  pruneUnknownFields: () => [],
  selectableFields: () => ({}),
  // The default table convertor (Name, Created At as a timestamp), as the apiserver serves CRDs.
  printerColumns: (): PrinterColumn[] => [],
};
