// Sources of a tenant's own PersistentVolumes. A PV is mounted by whatever pod of the tenant claims
// it, and Pod Security judges the pod's volumes, not the PV behind a claim: a hostPath PV through a
// PVC would be a way around it. So a PV source gets the judgement the same volume would get in a
// pod: hostPath and local (a path on the node) only where the Tenant's Pod Security floor is
// privileged (baseline refuses hostPath), every other source only when listed in the Tenant's
// allowedVolumeTypes. That includes csi: a pod's inline CSI volume is ephemeral, but a CSI PV names
// an EXISTING volume by its handle, which may be another tenant's.
import { forbidden } from '../api/status.js';
import type { TenantPolicy } from '../limits/tenant-policy.js';
import type { AdmissionPlugin } from './chain.js';

type Obj = Record<string, unknown>;

/** PersistentVolumeSource's members (v1.32): one is set on every PV. */
const SOURCES = [
  'awsElasticBlockStore',
  'azureDisk',
  'azureFile',
  'cephfs',
  'cinder',
  'csi',
  'fc',
  'flexVolume',
  'flocker',
  'gcePersistentDisk',
  'glusterfs',
  'hostPath',
  'iscsi',
  'local',
  'nfs',
  'photonPersistentDisk',
  'portworxVolume',
  'quobyte',
  'rbd',
  'scaleIO',
  'storageos',
  'vsphereVolume',
];

/** Paths on the node: what Pod Security's baseline refuses in a pod (hostPath). */
const NODE_PATHS = new Set(['hostPath', 'local']);

export function persistentVolumeSources(policyOf: () => TenantPolicy): AdmissionPlugin {
  return {
    name: 'TenantPersistentVolumeSources',
    handles: (a) =>
      (a.operation === 'CREATE' || a.operation === 'UPDATE') &&
      !a.subresource &&
      a.resource.group === '' &&
      a.resource.resource === 'persistentvolumes',
    async validate(a) {
      const spec = (a.object as { spec?: Obj } | null)?.spec;
      if (!spec || typeof spec !== 'object') return [];
      const old = (a.oldObject as { spec?: Obj } | null)?.spec ?? {};
      const policy = policyOf();
      for (const type of SOURCES) {
        if (spec[type] === undefined || spec[type] === null) continue;
        if (JSON.stringify(spec[type]) === JSON.stringify(old[type])) continue; // unchanged (immutable anyway)
        const allowed = NODE_PATHS.has(type)
          ? policy.podSecurity.enforce === 'privileged' || policy.allowedVolumeTypes.includes(type)
          : policy.allowedVolumeTypes.includes(type);
        if (allowed) continue;
        const why = NODE_PATHS.has(type)
          ? `a path on the node is refused below the privileged Pod Security level (this tenant's: ${policy.podSecurity.enforce})`
          : `the node would mount it on the tenant's word; the Tenant policy's allowedVolumeTypes must list ${type}`;
        throw forbidden(
          { group: '', resource: 'persistentvolumes' },
          a.name,
          `spec.${type}: volume type ${type} is not permitted for this tenant's PersistentVolumes: ${why}`,
        );
      }
      return [];
    },
  };
}
