// The state behind a tenant's node view: transitions as pods and nodes change, and a cache's
// state rebuilt at an older version from its ring.
import { describe, expect, it } from 'vitest';
import type { CachedEvent, CachedItem } from '../../../src/hostwatch/types.js';
import { type CacheReader, TenantNodeState, itemsAt } from '../../../src/host/node-view-state.js';
import { parseFieldSelector } from '../../../src/api/field-selector.js';
import { parseLabelSelector } from '../../../src/api/labels.js';

const pod = (ns: string, name: string, nodeName?: string, rv = 1): CachedItem => {
  const object = { metadata: { namespace: ns, name, resourceVersion: String(rv) }, spec: { nodeName } };
  return { ns, name, object, value: object };
};
const node = (
  name: string,
  labels: Record<string, string> = {},
  unschedulable = false,
  rv = 1,
): CachedItem => {
  const object = { metadata: { name, labels, resourceVersion: String(rv) }, spec: { unschedulable } };
  return { ns: '', name, object, value: object };
};
const all = { labels: [], fields: [] };

describe('TenantNodeState', () => {
  it('a node enters with the first pod, changes while visible, leaves with the last pod', () => {
    const s = new TenantNodeState(all);
    expect(s.node(node('n1'), false)).toEqual([]);
    expect(s.pod(pod('t-a', 'p1', 'n1'), false).map((c) => `${c.type} ${c.node.name}`)).toEqual(['ADDED n1']);
    expect(s.pod(pod('t-a', 'p2', 'n1'), false)).toEqual([]);
    expect(s.pod(pod('t-a', 'p2', 'n1'), false)).toEqual([]); // seen twice: nothing
    expect(s.node(node('n1', { a: 'b' }), false).map((c) => c.type)).toEqual(['MODIFIED']);
    expect(s.pod(pod('t-a', 'p1', 'n1'), true)).toEqual([]);
    expect(s.pod(pod('t-a', 'p2', 'n1'), true).map((c) => `${c.type} ${c.node.name}`)).toEqual([
      'DELETED n1',
    ]);
    expect(s.visibleNodes()).toEqual([]);
  });

  it('a pod unscheduled then bound, a node deleted while visible, a node created after its pods', () => {
    const s = new TenantNodeState(all);
    expect(s.pod(pod('t-a', 'p', undefined), false)).toEqual([]);
    expect(s.pod(pod('t-a', 'p', 'n2'), false)).toEqual([]); // no node n2 yet
    expect(s.node(node('n2'), false).map((c) => c.type)).toEqual(['ADDED']);
    expect(s.node(node('n2'), true).map((c) => c.type)).toEqual(['DELETED']);
    expect(s.podNodes()).toEqual(new Set(['n2']));
  });

  it('selectors: a node leaving the selection is DELETED, entering it ADDED', () => {
    const s = new TenantNodeState({
      labels: parseLabelSelector('zone=a'),
      fields: parseFieldSelector('spec.unschedulable=false'),
    });
    s.node(node('n', { zone: 'a' }), false);
    expect(s.pod(pod('t-a', 'p', 'n'), false).map((c) => c.type)).toEqual(['ADDED']);
    expect(s.node(node('n', { zone: 'a' }, true), false).map((c) => c.type)).toEqual(['DELETED']);
    expect(s.node(node('n', { zone: 'a' }, false), false).map((c) => c.type)).toEqual(['ADDED']);
    expect(s.node(node('n', { zone: 'b' }), false).map((c) => c.type)).toEqual(['DELETED']);
  });

  it("kplex's hidden pods count for nothing", () => {
    const s = new TenantNodeState(all);
    s.node(node('n'), false);
    const hidden = pod('t-a', 'h', 'n');
    (hidden.object['metadata'] as Record<string, unknown>)['labels'] = { 'kplex.io/hidden': 'true' };
    expect(s.pod(hidden, false)).toEqual([]);
  });
});

describe('itemsAt', () => {
  const cache = (items: CachedItem[], events: CachedEvent[], rv: number, listRV = 0): CacheReader => ({
    resourceVersion: rv,
    listResourceVersion: listRV,
    inNamespace: (ns) => items.filter((i) => i.ns === ns),
    eventsAfter: (at) => (at < listRV ? undefined : events.filter((e) => e.rv > at)),
  });

  it('undoes the events after the version, newest first', () => {
    const p1 = pod('t-a', 'p1', 'n1', 5);
    const p1b = pod('t-a', 'p1', 'n2', 7);
    const p2 = pod('t-a', 'p2', 'n1', 6);
    const p3 = pod('t-a', 'p3', 'n3', 8);
    const other = pod('t-b', 'x', 'n9', 9);
    const c = cache(
      [p1b, p3, other],
      [
        { type: 'DELETED', item: p2, prev: p2, rv: 6, bytes: 1 },
        { type: 'MODIFIED', item: p1b, prev: p1, rv: 7, bytes: 1 },
        { type: 'ADDED', item: p3, rv: 8, bytes: 1 },
        { type: 'ADDED', item: other, rv: 9, bytes: 1 },
      ],
      9,
    );
    const ns = new Set(['t-a']);
    expect([...itemsAt(c, ns, 9)!.values()].map((i) => i.object['spec'])).toEqual([
      { nodeName: 'n2' },
      { nodeName: 'n3' },
    ]);
    const at5 = itemsAt(c, ns, 5)!;
    expect([...at5.keys()].sort()).toEqual(['t-a/p1', 't-a/p2']);
    expect(at5.get('t-a/p1')).toBe(p1);
    expect(itemsAt(c, ns, 7)!.get('t-a/p3')).toBeUndefined();
  });

  it('is undefined for a version the ring no longer reaches', () => {
    expect(itemsAt(cache([], [], 10, 4), new Set(['t-a']), 3)).toBeUndefined();
  });
});
