// The scale subresource: an autoscaling/v1 Scale view of the object through the resource's
// specReplicasPath / statusReplicasPath / labelSelectorPath (as for custom resources).
import type { KubeObject } from '../api/object.js';
import { isObject } from '../api/object.js';
import { badRequest, notFound } from '../api/status.js';
import { clone, getPath, setPath } from './object-utils.js';
import type { WriteOptions } from './options.js';
import type { VirtualRegistry } from './registry.js';

function scaleSpec(reg: VirtualRegistry) {
  const s = reg.info.subresources?.scale;
  if (!s) throw notFound({ group: reg.info.group, resource: `${reg.info.resource}/scale` }, '');
  return s;
}

export function toScale(reg: VirtualRegistry, obj: KubeObject): KubeObject {
  const s = scaleSpec(reg);
  const m = obj.metadata ?? {};
  const replicas = getPath(obj, s.specReplicasPath);
  const statusReplicas = getPath(obj, s.statusReplicasPath);
  const selector = s.labelSelectorPath ? getPath(obj, s.labelSelectorPath) : undefined;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name,
      ...(m.namespace ? { namespace: m.namespace } : {}),
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { ...(typeof replicas === 'number' && replicas !== 0 ? { replicas } : {}) },
    status: {
      replicas: typeof statusReplicas === 'number' ? statusReplicas : 0,
      ...(typeof selector === 'string' && selector ? { selector } : {}),
    },
  };
}

/** The Scale of an object, read in this version (a conversion webhook's answer when stored in another). */
export async function getScale(reg: VirtualRegistry, namespace: string, name: string): Promise<KubeObject> {
  scaleSpec(reg);
  return toScale(reg, (await reg.served([reg.get(namespace, name)]))[0]!);
}

/** PUT (or patched) Scale: writes spec.replicas into the object, honouring its resourceVersion. */
export async function updateScale(
  reg: VirtualRegistry,
  namespace: string,
  name: string,
  scale: KubeObject,
  o: WriteOptions,
): Promise<KubeObject> {
  const s = scaleSpec(reg);
  const current = (await reg.served([reg.get(namespace, name)]))[0]!;
  const spec = isObject(scale['spec']) ? scale['spec'] : {};
  const replicas = spec['replicas'] ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas))
    throw badRequest('spec.replicas must be an integer');
  const next = clone(current);
  setPath(next as Record<string, unknown>, s.specReplicasPath, replicas);
  next.metadata!.resourceVersion = scale.metadata?.resourceVersion || current.metadata?.resourceVersion;
  const { object } = await reg.update(
    namespace,
    name,
    next,
    { ...o, subresource: 'scale', decodeErrors: [] },
    { prePruned: true },
  );
  return toScale(reg, object);
}
