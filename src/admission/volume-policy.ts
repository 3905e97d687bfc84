// Volumes of a tenant's pods (Tenant spec.policy.allowedVolumeTypes): types beyond the safe set
// make the NODE connect somewhere or run something on the tenant's word (an NFS or iSCSI mount of
// any address, a git clone by the kubelet), and a PersistentVolumeClaim may name only a
// PersistentVolume the tenant sees (bound to a claim of its own), never another tenant's data.
import { forbidden } from '../api/status.js';
import { SAFE_VOLUME_TYPES, type TenantPolicy } from '../limits/tenant-policy.js';
import type { AdmissionAttributes } from './attributes.js';
import type { AdmissionPlugin } from './chain.js';
import { POD_SPECS, at } from './workload-policy.js';

type Obj = Record<string, unknown>;

/** Left to Pod Security (the host namespace labels), which judges it by level. */
const POD_SECURITY_VOLUMES = ['hostPath'];

const groupResource = (a: AdmissionAttributes): string => `${a.resource.group}/${a.resource.resource}`;
const writes = (a: AdmissionAttributes): boolean =>
  (a.operation === 'CREATE' || a.operation === 'UPDATE') && !a.subresource;

/** A volume's type: its one key besides `name`. */
const volumeType = (v: Obj): string => Object.keys(v).find((k) => k !== 'name') ?? '';

export function podVolumes(policyOf: () => TenantPolicy): AdmissionPlugin {
  return {
    name: 'TenantPodVolumes',
    handles: (a) => writes(a) && groupResource(a) in POD_SPECS,
    async validate(a) {
      const path = POD_SPECS[groupResource(a)]!;
      const volumes = at(a.object, [...path, 'volumes']);
      if (!Array.isArray(volumes)) return [];
      const old = at(a.oldObject, [...path, 'volumes']);
      const had = new Set((Array.isArray(old) ? old : []).map((v) => JSON.stringify(v)));
      const allowed = new Set([
        ...SAFE_VOLUME_TYPES,
        ...POD_SECURITY_VOLUMES,
        ...policyOf().allowedVolumeTypes,
      ]);
      (volumes as Obj[]).forEach((v, i) => {
        const type = v && typeof v === 'object' ? volumeType(v) : '';
        if (!type || allowed.has(type) || had.has(JSON.stringify(v))) return;
        throw forbidden(
          { group: a.resource.group, resource: a.resource.resource },
          a.name,
          `${path.join('.')}.volumes[${i}].${type}: volume type ${type} is not permitted for this tenant's pods (the node would mount or fetch it on the tenant's word); allowed: ${[...allowed].sort().join(', ')}`,
        );
      });
      return [];
    },
  };
}

/** PersistentVolumeClaim spec.volumeName: only a PersistentVolume the tenant sees. */
export function claimVolumeName(): AdmissionPlugin {
  return {
    name: 'TenantClaimVolumeName',
    handles: (a) => writes(a) && groupResource(a) === '/persistentvolumeclaims',
    async validate(a, env) {
      const name = at(a.object, ['spec', 'volumeName']);
      if (typeof name !== 'string' || !name || name === at(a.oldObject, ['spec', 'volumeName'])) return [];
      if (env.host && (await env.host.volumeVisible(name))) return [];
      throw forbidden(
        { group: '', resource: 'persistentvolumeclaims' },
        a.name,
        `spec.volumeName: PersistentVolume ${JSON.stringify(name)} is not one this tenant may claim (only volumes bound to the tenant's own claims)`,
      );
    },
  };
}
