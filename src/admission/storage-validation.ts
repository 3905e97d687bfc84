// storage.k8s.io/v1 validation and v1 defaulting of StorageClass, CSIDriver, CSINode,
// VolumeAttachment and CSIStorageCapacity, as the apiserver's (pkg/apis/storage/validation and
// v1 defaults, v1.32). Not checked yet: quantities (kplex has no quantity parser), allowedTopologies,
// tokenRequests' expirations, attach/detach error sizes.
import { fieldErr } from '../api/field-errors.js';
import { isObject } from '../api/object.js';
import type { KubeObject } from '../api/object.js';
import type { FieldError } from '../api/status.js';
import { isDNS1123Subdomain, isQualifiedName } from '../api/name-validation.js';
import { validateLabelSelector } from '../api/labels.js';
import { deepEqual } from '../registry/object-utils.js';
import { asArray, duplicate, invalidValue, notSupported, required } from './field-errors.js';
import { immutable, valueAt } from './values.js';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

const RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];
const MAX_PARAMETERS = 512;
const MAX_PARAMETER_BYTES = 256 * 1024;

export function defaultStorageClass(o: KubeObject): void {
  o['reclaimPolicy'] ??= 'Delete';
  o['volumeBindingMode'] ??= 'Immediate';
}

export function validateStorageClass(o: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const provisioner = str(o['provisioner']);
  if (!provisioner) errs.push(required('provisioner'));
  else
    errs.push(
      ...isQualifiedName(provisioner.toLowerCase()).map((m) => invalidValue('provisioner', provisioner, m)),
    );
  const params = isObject(o['parameters']) ? Object.entries(o['parameters']) : [];
  if (params.length > MAX_PARAMETERS) errs.push(fieldErr.tooLong('parameters', MAX_PARAMETERS));
  else {
    let size = 0;
    for (const [k, v] of params) {
      if (!k) errs.push(invalidValue('parameters', k, 'field can not be empty.'));
      size += k.length + str(v).length;
    }
    if (size > MAX_PARAMETER_BYTES) errs.push(fieldErr.tooLong('parameters', MAX_PARAMETER_BYTES));
  }
  const reclaim = o['reclaimPolicy'];
  if (reclaim !== undefined && !RECLAIM_POLICIES.includes(str(reclaim)))
    errs.push(notSupported('reclaimPolicy', reclaim, RECLAIM_POLICIES));
  const mode = o['volumeBindingMode'];
  if (mode === undefined) errs.push(required('volumeBindingMode'));
  else if (!BINDING_MODES.includes(str(mode)))
    errs.push(notSupported('volumeBindingMode', mode, BINDING_MODES));
  return errs;
}

export function validateStorageClassUpdate(o: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (!deepEqual(o['parameters'] ?? {}, old['parameters'] ?? {}))
    errs.push(fieldErr.forbidden('parameters', 'updates to parameters are forbidden.'));
  if (o['provisioner'] !== old['provisioner'])
    errs.push(fieldErr.forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (o['reclaimPolicy'] !== old['reclaimPolicy'])
    errs.push(fieldErr.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  return [...errs, ...immutable(o, old, 'volumeBindingMode')];
}

/** apivalidation.ValidateCSIDriverName. */
function csiDriverName(field: string, name: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!name) return [required(field)];
  if (name.length > 63) errs.push(fieldErr.tooLong(field, 63));
  errs.push(...isDNS1123Subdomain(name.toLowerCase()).map((m) => invalidValue(field, name, m)));
  return errs;
}

// In the apiserver's order (a slice, not a sorted set).
const LIFECYCLE_MODES = ['Persistent', 'Ephemeral'];
const FS_GROUP_POLICIES = ['File', 'None', 'ReadWriteOnceWithFSType'];

export function defaultCSIDriver(o: KubeObject): void {
  if (!isObject(o['spec'])) o['spec'] = {};
  const s = o['spec'] as Record<string, unknown>;
  s['attachRequired'] ??= true;
  s['podInfoOnMount'] ??= false;
  s['storageCapacity'] ??= false;
  s['fsGroupPolicy'] ??= 'ReadWriteOnceWithFSType';
  s['requiresRepublish'] ??= false;
  s['volumeLifecycleModes'] ??= ['Persistent'];
  s['seLinuxMount'] ??= false;
}

export function validateCSIDriver(o: KubeObject): FieldError[] {
  const errs = csiDriverName('name', o.metadata?.name ?? '');
  const s = isObject(o['spec']) ? o['spec'] : {};
  if (s['fsGroupPolicy'] !== undefined && !FS_GROUP_POLICIES.includes(str(s['fsGroupPolicy'])))
    errs.push(notSupported('spec.fsGroupPolicy', s['fsGroupPolicy'], FS_GROUP_POLICIES));
  for (const m of asArray(s['volumeLifecycleModes']))
    if (!LIFECYCLE_MODES.includes(str(m)))
      errs.push(fieldErr.notSupported('spec.volumeLifecycleModes', m, LIFECYCLE_MODES));
  const audiences = new Set<string>();
  asArray(s['tokenRequests']).forEach((t, i) => {
    const a = str(valueAt(t, 'audience'));
    if (audiences.has(a)) errs.push(duplicate(`spec.tokenRequests[${i}].audience`, a));
    audiences.add(a);
  });
  return errs;
}

export const validateCSIDriverUpdate = (o: KubeObject, old: KubeObject): FieldError[] => [
  // v1.32 names the field spec.attachedRequired in this error
  ...immutable(o, old, 'spec', 'attachRequired').map((e) => ({ ...e, field: 'spec.attachedRequired' })),
  ...immutable(o, old, 'spec', 'fsGroupPolicy'),
  ...immutable(o, old, 'spec', 'volumeLifecycleModes'),
];

const MAX_NODE_ID = 192;

export function validateCSINode(o: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  asArray(valueAt(o, 'spec', 'drivers')).forEach((d, i) => {
    const f = `spec.drivers[${i}]`;
    const name = str(valueAt(d, 'name'));
    errs.push(...csiDriverName(`${f}.name`, name));
    if (names.has(name)) errs.push(duplicate(`${f}.name`, name));
    names.add(name);
    const nodeID = str(valueAt(d, 'nodeID'));
    if (!nodeID) errs.push(required(`${f}.nodeID`, nodeID));
    else if (nodeID.length > MAX_NODE_ID)
      errs.push(invalidValue(`${f}.nodeID`, nodeID, `must be ${MAX_NODE_ID} characters or less`));
    const keys = new Set<string>();
    asArray(valueAt(d, 'topologyKeys')).forEach((k, j) => {
      const key = str(k);
      if (!key) errs.push(required(`${f}.topologyKeys[${j}]`, key));
      else errs.push(...isQualifiedName(key).map((m) => invalidValue(`${f}.topologyKeys[${j}]`, key, m)));
      if (keys.has(key)) errs.push(duplicate(`${f}.topologyKeys[${j}]`, key));
      keys.add(key);
    });
  });
  return errs;
}

/** An invalid value printed as Go's %#v of a typed struct (pointers print by address). */
const goStructInvalid = (field: string, value: unknown, printed: string, detail: string): FieldError => ({
  type: 'FieldValueInvalid',
  field,
  value,
  detail: `${printed}: ${detail}`,
  omitValue: true,
});

const goStrings = (v: unknown): string =>
  Array.isArray(v) ? `[]string{${v.map((x) => JSON.stringify(str(x))).join(', ')}}` : '[]string(nil)';
const goPointer = (type: string, v: unknown): string =>
  v === undefined || v === null ? `(*${type})(nil)` : `(*${type})(0xc000000000)`;

/** A driver kept across an update is immutable as a whole (the path is the apiserver's: `CSINodeDriver`). */
export function validateCSINodeUpdate(o: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const before = new Map(asArray(valueAt(old, 'spec', 'drivers')).map((d) => [str(valueAt(d, 'name')), d]));
  for (const d of asArray(valueAt(o, 'spec', 'drivers'))) {
    const was = before.get(str(valueAt(d, 'name')));
    if (was === undefined || deepEqual(d, was)) continue;
    const printed =
      `storage.CSINodeDriver{Name:${JSON.stringify(str(valueAt(d, 'name')))}, ` +
      `NodeID:${JSON.stringify(str(valueAt(d, 'nodeID')))}, TopologyKeys:${goStrings(valueAt(d, 'topologyKeys'))}, ` +
      `Allocatable:${goPointer('storage.VolumeNodeResources', valueAt(d, 'allocatable'))}}`;
    errs.push(goStructInvalid('CSINodeDriver', d, printed, 'field is immutable'));
  }
  return errs;
}

const EXACTLY_ONE = 'must specify exactly one of inlineVolumeSpec and persistentVolumeName';

export function validateVolumeAttachment(o: KubeObject): FieldError[] {
  const attacher = str(valueAt(o, 'spec', 'attacher'));
  const errs: FieldError[] = attacher ? [] : [required('spec.attacher')];
  const src = valueAt(o, 'spec', 'source');
  const pv = valueAt(src, 'persistentVolumeName');
  const inline = valueAt(src, 'inlineVolumeSpec');
  if (pv === undefined && inline === undefined) errs.push(required('spec.source', EXACTLY_ONE));
  else if (pv !== undefined && inline !== undefined)
    errs.push(fieldErr.forbidden('spec.source', EXACTLY_ONE));
  else if (pv !== undefined && !str(pv))
    errs.push(required('spec.source.persistentVolumeName', 'must specify non empty persistentVolumeName'));
  const node = str(valueAt(o, 'spec', 'nodeName'));
  if (!node) errs.push(required('spec.nodeName'));
  else errs.push(...isDNS1123Subdomain(node).map((m) => invalidValue('spec.nodeName', node, m)));
  // ValidateVolumeAttachmentV1: the attacher is a CSI driver name (checked after the rest).
  errs.push(...csiDriverName('spec.attacher', attacher).filter((e) => e.type !== 'FieldValueRequired'));
  if (!attacher) errs.push(...isDNS1123Subdomain('').map((m) => invalidValue('spec.attacher', '', m)));
  return errs;
}

/** The whole spec is immutable ("No need to increment Generation because we don't allow updates to spec"). */
export function validateVolumeAttachmentUpdate(o: KubeObject, old: KubeObject): FieldError[] {
  if (deepEqual(o['spec'], old['spec'])) return [];
  const src = valueAt(o, 'spec', 'source');
  const printed =
    `storage.VolumeAttachmentSpec{Attacher:${JSON.stringify(str(valueAt(o, 'spec', 'attacher')))}, ` +
    `Source:storage.VolumeAttachmentSource{PersistentVolumeName:${goPointer('string', valueAt(src, 'persistentVolumeName'))}, ` +
    `InlineVolumeSpec:${goPointer('core.PersistentVolumeSpec', valueAt(src, 'inlineVolumeSpec'))}}, ` +
    `NodeName:${JSON.stringify(str(valueAt(o, 'spec', 'nodeName')))}}`;
  return [goStructInvalid('spec', o['spec'], printed, 'field is immutable')];
}

export function validateCSIStorageCapacity(o: KubeObject): FieldError[] {
  const sc = str(o['storageClassName']);
  return [
    ...validateLabelSelector(o['nodeTopology'], 'nodeTopology'),
    ...isDNS1123Subdomain(sc).map((m) => invalidValue('storageClassName', sc, m)),
  ];
}

export const validateCSIStorageCapacityUpdate = (o: KubeObject, old: KubeObject): FieldError[] => [
  ...immutable(o, old, 'nodeTopology'),
  ...immutable(o, old, 'storageClassName'),
];
