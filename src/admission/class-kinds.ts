// Cluster-wide kinds that only describe (classes, CSI drivers and nodes, volume attachments,
// storage capacities) as the tenant's own virtual objects (docs/architecture.md, Decisions,
// "Classes and storage descriptions are the tenant's own"): stored in its SQLite store, with the
// apiserver's defaulting, validation and printer columns; none is written to the host. Pods,
// PVCs and Ingresses keep naming the HOST's classes (judged by the Tenant policy, class-policy.ts).
import type { PrinterColumn } from '../resources/types.js';
import {
  defaultIngressClass,
  defaultPriorityClass,
  validateIngressClass,
  validateIngressClassUpdate,
  validatePriorityClass,
  validatePriorityClassUpdate,
  validateRuntimeClass,
  validateRuntimeClassUpdate,
} from './class-validation.js';
import type { AdmissionKind } from './kinds.js';
import {
  defaultCSIDriver,
  defaultStorageClass,
  validateCSIDriver,
  validateCSIDriverUpdate,
  validateCSINode,
  validateCSINodeUpdate,
  validateCSIStorageCapacity,
  validateCSIStorageCapacityUpdate,
  validateStorageClass,
  validateStorageClassUpdate,
  validateVolumeAttachment,
  validateVolumeAttachmentUpdate,
} from './storage-validation.js';

const STORAGE = 'storage.k8s.io';
const col = (name: string, jsonPath: string, type = 'string'): PrinterColumn => ({ name, type, jsonPath });
const AGE = col('Age', '.metadata.creationTimestamp', 'date');
const none = (): void => undefined;

/** Kind rows: what the apiserver's strategies do, per kind (generation, status, immutables). */
export const CLASS_KINDS: readonly AdmissionKind[] = [
  {
    resource: 'runtimeclasses',
    group: 'node.k8s.io',
    kind: 'RuntimeClass',
    status: false,
    unconditionalUpdate: true,
    generation: false,
    defaults: none,
    validate: validateRuntimeClass,
    validateUpdate: validateRuntimeClassUpdate,
    printerColumns: [col('Handler', '.handler'), AGE],
  },
  {
    resource: 'priorityclasses',
    group: 'scheduling.k8s.io',
    kind: 'PriorityClass',
    shortNames: ['pc'],
    status: false,
    unconditionalUpdate: true,
    generation: false,
    defaults: defaultPriorityClass,
    validate: validatePriorityClass,
    validateUpdate: validatePriorityClassUpdate,
    printerColumns: [
      col('Value', '.value', 'integer'),
      { ...col('Global-Default', '.globalDefault', 'boolean'), zero: false },
      AGE,
      col('PreemptionPolicy', '.preemptionPolicy'),
    ],
  },
  {
    resource: 'ingressclasses',
    group: 'networking.k8s.io',
    kind: 'IngressClass',
    status: false,
    unconditionalUpdate: true,
    generation: true,
    defaults: defaultIngressClass,
    validate: validateIngressClass,
    validateUpdate: validateIngressClassUpdate,
    // The host prints Parameters as Kind/name.apiGroup; a column path can show the name only.
    printerColumns: [col('Controller', '.spec.controller'), col('Parameters', '.spec.parameters.name'), AGE],
  },
  {
    resource: 'storageclasses',
    group: STORAGE,
    kind: 'StorageClass',
    shortNames: ['sc'],
    status: false,
    unconditionalUpdate: true,
    generation: false,
    defaults: defaultStorageClass,
    validate: validateStorageClass,
    validateUpdate: validateStorageClassUpdate,
    printerColumns: [
      col('Provisioner', '.provisioner'),
      col('ReclaimPolicy', '.reclaimPolicy'),
      col('VolumeBindingMode', '.volumeBindingMode'),
      col('AllowVolumeExpansion', '.allowVolumeExpansion', 'boolean'),
      AGE,
    ],
  },
  {
    resource: 'csidrivers',
    group: STORAGE,
    kind: 'CSIDriver',
    status: false,
    unconditionalUpdate: false,
    generation: false, // v1.32's strategy sets none
    defaults: defaultCSIDriver,
    validate: validateCSIDriver,
    validateUpdate: validateCSIDriverUpdate,
    printerColumns: [
      col('AttachRequired', '.spec.attachRequired', 'boolean'),
      col('PodInfoOnMount', '.spec.podInfoOnMount', 'boolean'),
      col('StorageCapacity', '.spec.storageCapacity', 'boolean'),
      col('TokenRequests', '.spec.tokenRequests[*].audience'),
      col('RequiresRepublish', '.spec.requiresRepublish', 'boolean'),
      col('Modes', '.spec.volumeLifecycleModes'),
      AGE,
    ],
  },
  {
    resource: 'csinodes',
    group: STORAGE,
    kind: 'CSINode',
    status: false,
    unconditionalUpdate: false,
    generation: false,
    defaults: none,
    validate: validateCSINode,
    validateUpdate: validateCSINodeUpdate,
    // The host prints the number of drivers; a column path can list their names only.
    printerColumns: [col('Drivers', '.spec.drivers[*].name'), AGE],
  },
  {
    resource: 'volumeattachments',
    group: STORAGE,
    kind: 'VolumeAttachment',
    status: true,
    // VolumeAttachmentStatus.attached has no omitempty: the zero status is {attached: false}.
    emptyStatus: () => ({ attached: false }),
    unconditionalUpdate: false,
    generation: false,
    defaults: none,
    validate: validateVolumeAttachment,
    validateUpdate: validateVolumeAttachmentUpdate,
    printerColumns: [
      col('Attacher', '.spec.attacher'),
      col('PV', '.spec.source.persistentVolumeName'),
      col('Node', '.spec.nodeName'),
      col('Attached', '.status.attached', 'boolean'),
      AGE,
    ],
  },
  {
    // Namespaced (storage.k8s.io/v1): published by a CSI driver's external-provisioner.
    resource: 'csistoragecapacities',
    group: STORAGE,
    kind: 'CSIStorageCapacity',
    namespaced: true,
    status: false,
    unconditionalUpdate: false,
    generation: false,
    defaults: none,
    validate: validateCSIStorageCapacity,
    validateUpdate: validateCSIStorageCapacityUpdate,
    printerColumns: [col('StorageClassName', '.storageClassName'), AGE],
  },
];
