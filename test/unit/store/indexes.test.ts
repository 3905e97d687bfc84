// The lookups writes use instead of scans: an object by metadata.uid, the objects naming a uid as
// owner (kept by triggers through creates, updates and deletes), and the latest change of a resource.
import { describe, expect, it } from 'vitest';
import { openStore } from './helpers.js';

const cm = (name: string) => ({ group: '', resource: 'configmaps', namespace: 'a', name });
const owned = (name: string, uid: string, owners: string[]) => ({
  metadata: {
    name,
    namespace: 'a',
    uid,
    ownerReferences: owners.map((o) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o, uid: o })),
  },
});

describe('store indexes', () => {
  it('finds objects by uid and dependents by owner uid through every kind of write', () => {
    const s = openStore();
    s.create(cm('owner'), { metadata: { name: 'owner', uid: 'o1' } });
    s.create(cm('d1'), owned('d1', 'u1', ['o1', 'o2']));
    s.create(cm('d2'), owned('d2', 'u2', ['o1']));
    s.create({ group: 'x.io', resource: 'things', namespace: '', name: 't' }, owned('t', 'u3', ['o1']));
    expect(s.keyOfUid('u2')).toEqual(cm('d2'));
    expect(s.keyOfUid('nope')).toBeUndefined();
    expect(s.dependentsOf('o1').map((k) => k.name)).toEqual(['d1', 'd2', 't']);
    s.update(cm('d1'), owned('d1', 'u1', ['o2']));
    expect(s.dependentsOf('o1').map((k) => k.name)).toEqual(['d2', 't']);
    expect(s.dependentsOf('o2').map((k) => k.name)).toEqual(['d1']);
    s.delete(cm('d2'));
    expect(s.dependentsOf('o1').map((k) => k.name)).toEqual(['t']);
    expect(s.keyOfUid('u2')).toBeUndefined();
    // A malformed ownerReferences (not a list) indexes nothing and breaks no write.
    s.create(cm('odd'), { metadata: { name: 'odd', ownerReferences: { uid: 'o1' } as never } });
    expect(s.dependentsOf('o1').map((k) => k.name)).toEqual(['t']);
  });

  it('tells the latest change of one resource, unmoved by writes of others', () => {
    const s = openStore();
    expect(s.lastChangeRV('', 'configmaps')).toBe(0);
    const a = s.create(cm('a'), { metadata: { name: 'a' } });
    expect(s.lastChangeRV('', 'configmaps')).toBe(a.rv);
    s.create({ group: '', resource: 'secrets', namespace: 'a', name: 's' }, { metadata: { name: 's' } });
    expect(s.lastChangeRV('', 'configmaps')).toBe(a.rv);
    const d = s.delete(cm('a'));
    expect(s.lastChangeRV('', 'configmaps')).toBe(d.rv);
  });
});
