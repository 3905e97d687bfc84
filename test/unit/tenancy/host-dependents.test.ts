// The garbage collector's host half, against a recording stand-in for the host: which host
// requests a virtual owner's deletion makes, and that a namespace without virtual-owned objects is
// listed once, not on every delete, until a write moves a virtual owner's reference into it.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/api/object.js';
import type { HostClient } from '../../../src/hostapi/host-client.js';
import type { ResourceInfo } from '../../../src/resources/types.js';
import { NamespaceMap } from '../../../src/rewrite/namespace-translator.js';
import { objectToHost } from '../../../src/rewrite/object-rewrite.js';
import { HostDependents } from '../../../src/tenancy/host-dependents.js';

const row = (group: string, resource: string): ResourceInfo =>
  ({
    group,
    version: 'v1',
    resource,
    kind: resource,
    namespaced: true,
    placement: 'host',
    verbs: ['list', 'patch', 'delete'],
  }) as unknown as ResourceInfo;
const ROWS = [row('', 'secrets'), row('apps', 'deployments')];

/** A host holding `objects` (host form) in `acme-default`; records every request. */
function fakeHost(objects: Record<string, KubeObject[]>) {
  const calls: string[] = [];
  const host = {
    request: async (method: string, path: string) => {
      calls.push(`${method} ${path.split('?')[0]}`);
      if (method === 'GET') {
        const resource = path.split('?')[0]!.split('/').pop()!;
        return { status: 200, body: { items: objects[resource] ?? [] } };
      }
      return { status: 200, body: {} };
    },
  } as unknown as HostClient;
  return { host, calls };
}

const owner = (uid: string): KubeObject => ({ metadata: { uid, namespace: 'default', name: 'f' } });

/** A Secret owned by the virtual Foo `uid`, as kplex writes it to the host. */
function ownedSecret(uid: string): KubeObject {
  const map = new NamespaceMap('acme', new Map([['default', 'acme-default']]));
  map.isHostKind = () => false;
  const o = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 's',
      namespace: 'default',
      uid: 'secret-uid',
      ownerReferences: [{ apiVersion: 'x.io/v1', kind: 'Foo', name: 'f', uid }],
    },
  } as KubeObject;
  objectToHost(o, map, 'acme-default');
  return o;
}

const deps = (host: HostClient) => ({
  tenant: 'acme',
  host,
  rows: () => ROWS,
  hostNamespaces: (ns: string) => (ns ? ['acme-default'] : []),
  virtualExists: () => false,
});

describe('HostDependents', () => {
  it('deletes a dependent left without owners, with the uid precondition', async () => {
    const { host, calls } = fakeHost({ secrets: [ownedSecret('u1')] });
    const hd = new HostDependents(deps(host));
    hd.ownerDeleted(owner('u1'));
    await hd.idle();
    expect(calls).toEqual([
      'GET /api/v1/namespaces/acme-default/secrets',
      'DELETE /api/v1/namespaces/acme-default/secrets/s',
      'GET /apis/apps/v1/namespaces/acme-default/deployments',
    ]);
  });

  it('patches the reference away with Orphan, and leaves objects of other owners alone', async () => {
    const { host, calls } = fakeHost({ secrets: [ownedSecret('u1')] });
    const hd = new HostDependents(deps(host));
    hd.ownerOrphaned(owner('u1'));
    hd.ownerDeleted(owner('other'));
    await hd.idle();
    expect(calls.filter((c) => !c.startsWith('GET'))).toEqual([
      'PATCH /api/v1/namespaces/acme-default/secrets/s',
    ]);
  });

  it('lists a namespace without virtual-owned objects once, again only after such a write', async () => {
    const { host, calls } = fakeHost({});
    const hd = new HostDependents(deps(host));
    hd.ownerDeleted(owner('a'));
    await hd.idle();
    expect(calls).toHaveLength(2);
    hd.ownerDeleted(owner('b'));
    await hd.idle();
    expect(calls).toHaveLength(2);
    hd.written('acme-default');
    hd.ownerDeleted(owner('c'));
    hd.ownerDeleted(owner('d'));
    await hd.idle();
    // Listed on every delete now: the write may still be on its way to the host.
    expect(calls).toHaveLength(6);
  });
});
