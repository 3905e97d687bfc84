// ownerReferences to virtual owners never reach the host: every write form (create/update,
// JSON/merge/strategic patches, apply configurations) moves them into kplex annotations, every
// read puts them back where the tenant wrote them, and a tenant cannot write the kplex keys.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/api/object.js';
import { applyConfigForHost, patchedForHost, type PatchTarget } from '../../../src/host/host-patch.js';
import { NamespaceMap } from '../../../src/rewrite/namespace-translator.js';
import { bodyToVirtual, objectToHost } from '../../../src/rewrite/object-rewrite.js';
import {
  LABEL_VIRTUAL_OWNED,
  dropVirtualOwnerPatch,
  ownersToHost,
  virtualOwnerRefs,
} from '../../../src/rewrite/virtual-owners.js';
import type { ResourceInfo } from '../../../src/resources/types.js';

const HOST_KINDS = new Set(['apps/ReplicaSet', 'apps/Deployment', '/Pod', '/Secret']);
const isHostKind = (apiVersion: string, kind: string): boolean =>
  HOST_KINDS.has(`${apiVersion.includes('/') ? apiVersion.split('/')[0] : ''}/${kind}`);

const newMap = (): NamespaceMap => {
  const m = new NamespaceMap('acme', new Map([['default', 'acme-default']]));
  m.isHostKind = isHostKind;
  return m;
};

const foo = (name: string, uid: string, controller = true) => ({
  apiVersion: 'samplecontroller.k8s.io/v1alpha1',
  kind: 'Foo',
  name,
  uid,
  controller,
  blockOwnerDeletion: true,
});
const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs-uid' };

const secret = (refs: unknown[]): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', namespace: 'default', ownerReferences: refs, labels: { app: 'a' } },
    data: {},
  }) as KubeObject;

/** The host form of a tenant object, as the host would store and return it. */
const toHost = (obj: KubeObject): KubeObject => {
  const o = structuredClone(obj);
  objectToHost(o, newMap(), 'acme-default');
  o.metadata!.resourceVersion = '7';
  return o;
};
const toTenant = (obj: KubeObject): KubeObject => {
  const o = structuredClone(obj);
  bodyToVirtual(o, newMap());
  return o;
};

const SECRET_ROW = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  resource: 'secrets',
  namespaced: true,
} as unknown as ResourceInfo;
const target = (): PatchTarget => ({
  row: SECRET_ROW,
  subresource: undefined,
  namespace: 'default',
  name: 's',
  hostNamespace: 'acme-default',
  map: newMap(),
});

describe('virtual owners across the boundary', () => {
  const refs = [foo('f1', 'u1'), rs, foo('f2', 'u2', false)];

  it('moves virtual owners off a created object and keeps host owners', () => {
    const h = toHost(secret(refs));
    expect(h.metadata!.ownerReferences).toEqual([rs]);
    expect(h.metadata!.labels).toEqual({ app: 'a', [LABEL_VIRTUAL_OWNED]: 'true' });
    expect(virtualOwnerRefs(h.metadata).map((e) => e.ref)).toEqual([foo('f1', 'u1'), foo('f2', 'u2', false)]);
  });

  it('reads back exactly as written, kplex keys hidden', () => {
    const t = toTenant(toHost(secret(refs)));
    expect(t.metadata!.ownerReferences).toEqual(refs);
    expect(t.metadata!.labels).toEqual({ app: 'a' });
    expect(t.metadata!.annotations).toBeUndefined();
  });

  it('leaves an object with host owners only as it is', () => {
    const h = toHost(secret([rs]));
    expect(h.metadata!.ownerReferences).toEqual([rs]);
    expect(h.metadata!.labels).toEqual({ app: 'a' });
  });

  it('leaves lists the host must refuse to the host (empty uid, two controllers, duplicate uids)', () => {
    for (const bad of [
      [{ ...foo('f', 'u'), uid: '' }],
      [foo('a', 'u1'), foo('b', 'u2')],
      [
        { ...foo('a', 'u1'), controller: false },
        { ...foo('a', 'u1'), controller: false },
      ],
    ]) {
      const h = toHost(secret(bad));
      expect(h.metadata!.ownerReferences).toEqual(bad);
      expect(h.metadata!.labels?.[LABEL_VIRTUAL_OWNED]).toBeUndefined();
    }
  });

  it('ignores the ownership keys a tenant writes (they are kplex keys)', () => {
    const forged = secret([]);
    forged.metadata!.labels = { [LABEL_VIRTUAL_OWNED]: 'true' };
    forged.metadata!.annotations = {
      ['kplex.io/owner-' + 'a'.repeat(40)]: JSON.stringify({ i: 0, ref: foo('x', 'victim') }),
    };
    const h = toHost(forged);
    expect(h.metadata!.labels).toEqual({});
    expect(h.metadata!.annotations).toEqual({});
  });

  it('keeps the references through merge, JSON and strategic merge patches', () => {
    const current = toHost(secret(refs));
    for (const [type, patch] of [
      ['application/merge-patch+json', { metadata: { labels: { x: 'y' } } }],
      ['application/json-patch+json', [{ op: 'add', path: '/metadata/labels/x', value: 'y' }]],
      ['application/strategic-merge-patch+json', { metadata: { labels: { x: 'y' } } }],
    ] as const) {
      const put = patchedForHost(target(), structuredClone(current), type, structuredClone(patch)).object;
      expect(put.metadata!.ownerReferences).toEqual([rs]);
      expect(put.metadata!.annotations).toEqual(current.metadata!.annotations);
      expect(toTenant(put).metadata!.ownerReferences).toEqual(refs);
    }
  });

  it('drops a reference a patch removes, and the label with the last one', () => {
    const current = toHost(secret([foo('f1', 'u1')]));
    const put = patchedForHost(target(), current, 'application/json-patch+json', [
      { op: 'remove', path: '/metadata/ownerReferences/0' },
    ]).object;
    expect(put.metadata!.ownerReferences).toEqual([]);
    expect(put.metadata!.labels?.[LABEL_VIRTUAL_OWNED]).toBeUndefined();
    expect(virtualOwnerRefs(put.metadata)).toEqual([]);
  });

  it('cannot forge the keys through a patch either', () => {
    const current = toHost(secret([rs]));
    const put = patchedForHost(target(), current, 'application/merge-patch+json', {
      metadata: {
        labels: { [LABEL_VIRTUAL_OWNED]: 'true' },
        annotations: { ['kplex.io/owner-' + 'b'.repeat(40)]: '{"i":0,"ref":{"uid":"victim"}}' },
      },
    }).object;
    expect(put.metadata!.labels?.[LABEL_VIRTUAL_OWNED]).toBeUndefined();
    expect(virtualOwnerRefs(put.metadata)).toEqual([]);
  });

  it('rewrites apply configurations, one annotation per owner', () => {
    const config = applyConfigForHost(target(), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', ownerReferences: [foo('f1', 'u1')] },
    }) as KubeObject;
    expect(config.metadata!.ownerReferences).toBeUndefined();
    expect(config.metadata!.labels).toEqual({ [LABEL_VIRTUAL_OWNED]: 'true' });
    expect(Object.keys(config.metadata!.annotations!)).toHaveLength(1);
  });

  it('dropVirtualOwnerPatch removes one owner, and the label with the last', () => {
    const h = toHost(secret([foo('f1', 'u1'), foo('f2', 'u2', false)]));
    const p1 = dropVirtualOwnerPatch(h.metadata, 'u1') as { metadata: Record<string, unknown> };
    expect(p1.metadata['labels']).toBeUndefined();
    expect(Object.values(p1.metadata['annotations'] as object)).toEqual([null]);
    expect(dropVirtualOwnerPatch(h.metadata, 'nope')).toBeNull();
    const one = toHost(secret([foo('f1', 'u1')]));
    expect(
      (dropVirtualOwnerPatch(one.metadata, 'u1') as { metadata: Record<string, unknown> }).metadata['labels'],
    ).toEqual({
      [LABEL_VIRTUAL_OWNED]: null,
    });
  });

  it('does nothing without the tenant table (callers that do not know kinds)', () => {
    const o = secret(refs);
    ownersToHost(o, () => true);
    expect(o.metadata!.ownerReferences).toEqual(refs);
  });
});
