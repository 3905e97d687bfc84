import { describe, expect, it } from 'vitest';
import { PathSet, visitPath } from '../../../src/rewrite/field-paths.js';
import { ALL_NAMESPACE_FIELDS } from '../../../src/rewrite/namespace-fields.js';

type Any = Record<string, any>;

const seen = (visit: (fn: (o: Record<string, unknown>, k: string) => void) => void): string[] => {
  const out: string[] = [];
  visit((o, k) => out.push(`${k}=${JSON.stringify(o[k])}`));
  return out.sort();
};

describe('PathSet', () => {
  const paths = [
    'spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[].namespaces',
    'involvedObject.namespace',
    'subsets[].addresses[].targetRef.namespace',
    'spec.claimRef.namespace',
  ];
  const objects: Any[] = [
    { metadata: { name: 'cm' }, data: { namespace: 'x' } },
    { involvedObject: { namespace: 'a' }, regarding: { namespace: 'b' } },
    {
      subsets: [
        { addresses: [{ targetRef: { namespace: 'n1' } }, { targetRef: {} }] },
        { addresses: [{ targetRef: { namespace: 'n2' } }] },
      ],
    },
    {
      spec: {
        claimRef: { namespace: 'c' },
        template: {
          spec: {
            affinity: {
              podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ namespaces: ['p'] }, {}] },
            },
          },
        },
      },
    },
    { spec: 'not an object' },
  ];

  it('visits exactly what visitPath visits for each of its paths', () => {
    const set = new PathSet(paths);
    for (const obj of objects)
      expect(seen((fn) => set.visit(obj, fn))).toEqual(
        seen((fn) => {
          for (const p of paths) visitPath(obj, p, fn);
        }),
      );
  });

  it('visits nothing of an object without any first key, or of a non-object', () => {
    const set = new PathSet(ALL_NAMESPACE_FIELDS.names);
    expect(seen((fn) => set.visit(objects[0], fn))).toEqual([]);
    expect(seen((fn) => set.visit(null, fn))).toEqual([]);
    expect(seen((fn) => set.visit('text', fn))).toEqual([]);
  });

  it('rewrites in place like the loop it replaces (every namespace field of every kind)', () => {
    const set = new PathSet(ALL_NAMESPACE_FIELDS.names);
    const ev: Any = { involvedObject: { namespace: 'h' }, related: { namespace: 'h' } };
    set.visit(ev, (o, k) => (o[k] = 'v'));
    expect(ev).toEqual({ involvedObject: { namespace: 'v' }, related: { namespace: 'v' } });
  });
});
