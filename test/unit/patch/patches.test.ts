// JSON patch, merge patch and strategic merge patch with the apiserver's results and errors.
import { describe, expect, it } from 'vitest';
import { StatusError } from '../../../src/api/status.js';
import type { KubeObject } from '../../../src/api/object.js';
import {
  defaultFieldManager,
  jsonPatch,
  mergePatch,
  schemaNodeFromOpenAPIV3,
  strategicMergePatch,
} from '../../../src/patch/index.js';
import { webApp } from './fixtures.js';

function statusOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err.status;
    throw err;
  }
  throw new Error('expected a StatusError');
}

const cr = (): KubeObject =>
  webApp({ replicas: 1, args: ['a', 'b'], 'a/b': 1, 'm~n': 2 }, { labels: { app: 'web', tier: 'fe' } });

describe('jsonPatch', () => {
  it('applies add, remove, replace, move, copy and test, with "-" and ~0/~1 escapes', () => {
    const out = jsonPatch(cr(), [
      { op: 'test', path: '/spec/replicas', value: 1 },
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/spec/args/-', value: 'c' },
      { op: 'add', path: '/spec/args/0', value: 'z' },
      { op: 'remove', path: '/spec/args/1' },
      { op: 'remove', path: '/spec/a~1b' },
      { op: 'move', from: '/spec/m~0n', path: '/spec/moved' },
      { op: 'copy', from: '/metadata/labels/app', path: '/metadata/labels/copy' },
      { op: 'remove', path: '/metadata/labels/tier' },
    ]);
    expect(out.spec).toEqual({ replicas: 3, args: ['z', 'b', 'c'], moved: 2 });
    expect(out.metadata?.labels).toEqual({ app: 'web', copy: 'web' });
  });

  it('does not modify the original object', () => {
    const original = cr();
    jsonPatch(original, [{ op: 'replace', path: '/spec/replicas', value: 9 }]);
    expect(original.spec).toMatchObject({ replicas: 1 });
  });

  it('replaces a missing object member like evanphx/json-patch v4 (adds it)', () => {
    expect(jsonPatch(cr(), [{ op: 'replace', path: '/spec/newField', value: 'x' }]).spec).toMatchObject({
      newField: 'x',
    });
  });

  it('returns the generic 422 for a failed test, a missing path or a bad index', () => {
    const generic = {
      code: 422,
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
    };
    expect(statusOf(() => jsonPatch(cr(), [{ op: 'test', path: '/spec/replicas', value: 2 }]))).toMatchObject(
      generic,
    );
    expect(statusOf(() => jsonPatch(cr(), [{ op: 'remove', path: '/spec/nope' }]))).toMatchObject(generic);
    expect(statusOf(() => jsonPatch(cr(), [{ op: 'add', path: '/spec/missing/x', value: 1 }]))).toMatchObject(
      generic,
    );
    expect(statusOf(() => jsonPatch(cr(), [{ op: 'add', path: '/spec/args/5', value: 'x' }]))).toMatchObject(
      generic,
    );
    expect(statusOf(() => jsonPatch(cr(), [{ op: 'frobnicate', path: '/spec' }]))).toMatchObject(generic);
  });

  it('returns 400 for a patch that is not a list of operations', () => {
    expect(statusOf(() => jsonPatch(cr(), { op: 'add' }))).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    });
    expect(statusOf(() => jsonPatch(cr(), [1]))).toMatchObject({
      code: 400,
      message: 'json: cannot unmarshal number into Go value of type jsonpatch.Operation',
    });
  });

  it('returns 413 above 10000 operations', () => {
    const ops = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/kind', value: 'WebApp' }));
    expect(statusOf(() => jsonPatch(cr(), ops))).toMatchObject({
      code: 413,
      reason: 'RequestEntityTooLarge',
    });
  });
});

describe('mergePatch', () => {
  it('merges maps, deletes nulls and replaces lists', () => {
    const out = mergePatch(cr(), {
      metadata: { labels: { tier: null, new: 'x' } },
      spec: { args: ['q'], replicas: null, nested: { a: null, b: 1 } },
    });
    expect(out.metadata?.labels).toEqual({ app: 'web', new: 'x' });
    expect(out.spec).toEqual({ args: ['q'], 'a/b': 1, 'm~n': 2, nested: { b: 1 } });
  });

  it('rejects null and scalar patches with 400 "Invalid JSON Patch"', () => {
    expect(statusOf(() => mergePatch(cr(), null))).toMatchObject({
      code: 400,
      message: 'Invalid JSON Patch',
    });
    expect(statusOf(() => mergePatch(cr(), 'x'))).toMatchObject({ code: 400, message: 'Invalid JSON Patch' });
    expect(statusOf(() => mergePatch(cr(), [1])).code).toBe(422);
  });
});

describe('strategicMergePatch', () => {
  const ns = (): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: 'team-a',
      labels: { a: '1' },
      finalizers: ['x.io/one', 'x.io/two'],
      ownerReferences: [
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'o1', uid: 'u1' },
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'o2', uid: 'u2' },
      ],
    },
    spec: { finalizers: ['kubernetes'] },
  });

  it('merges metadata.finalizers (patchStrategy merge) but replaces spec.finalizers (no strategy)', () => {
    const out = strategicMergePatch(
      ns(),
      { metadata: { finalizers: ['x.io/three'] }, spec: { finalizers: ['other'] } },
      undefined,
    );
    // mergeSortedSlice puts patch items the live list does not know before the server-only ones
    expect(out.metadata?.finalizers).toEqual(['x.io/three', 'x.io/one', 'x.io/two']);
    expect(out.spec).toEqual({ finalizers: ['other'] });
  });

  it('honours $deleteFromPrimitiveList, $patch: delete by merge key and $setElementOrder', () => {
    const out = strategicMergePatch(
      ns(),
      {
        metadata: {
          '$deleteFromPrimitiveList/finalizers': ['x.io/one'],
          ownerReferences: [{ uid: 'u1', $patch: 'delete' }],
        },
      },
      undefined,
    );
    expect(out.metadata?.finalizers).toEqual(['x.io/two']);
    expect(out.metadata?.ownerReferences?.map((o) => o.uid)).toEqual(['u2']);

    const ordered = strategicMergePatch(
      ns(),
      {
        metadata: {
          '$setElementOrder/finalizers': ['x.io/two', 'x.io/new', 'x.io/one'],
          finalizers: ['x.io/new'],
        },
      },
      undefined,
    );
    expect(ordered.metadata?.finalizers).toEqual(['x.io/two', 'x.io/new', 'x.io/one']);
  });

  it('merges list items by patchMergeKey from the schema', () => {
    const out = strategicMergePatch(
      ns(),
      { metadata: { ownerReferences: [{ uid: 'u2', name: 'renamed' }] } },
      undefined,
    );
    expect(out.metadata?.ownerReferences?.map((o) => o.name)).toEqual(['o1', 'renamed']);
  });

  it('handles $patch: replace on maps, $retainKeys and null deletions', () => {
    const out = strategicMergePatch(
      ns(),
      { metadata: { labels: { $patch: 'replace', b: '2' } }, spec: { $retainKeys: ['other'], other: 1 } },
      undefined,
    );
    expect(out.metadata?.labels).toEqual({ b: '2' });
    expect(out.spec).toEqual({ other: 1 });
    expect(strategicMergePatch(ns(), { metadata: { labels: null } }, undefined).metadata).not.toHaveProperty(
      'labels',
    );
  });

  it('maps library errors to the apiserver codes', () => {
    expect(
      statusOf(() => strategicMergePatch(ns(), { spec: { $retainKeys: ['a'], b: 1 } }, undefined)),
    ).toMatchObject({
      code: 400,
      message: 'invalid patch format of retainKeys',
    });
    expect(
      statusOf(() =>
        strategicMergePatch(ns(), { metadata: { $deleteFromPrimitiveListfinalizers: ['x'] } }, undefined),
      ),
    ).toMatchObject({ code: 400, message: 'invalid patch format of primitive list' });
    expect(
      statusOf(() => strategicMergePatch(ns(), { metadata: { $patch: 'bogus' } }, undefined)),
    ).toMatchObject({
      code: 500,
      message: 'unknown patch type: bogus in map: map[$patch:bogus]',
    });
  });

  it('uses the schema for custom lists: merge by key where patchStrategy says so', () => {
    const schema = schemaNodeFromOpenAPIV3({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            ports: {
              type: 'array',
              'x-kubernetes-patch-strategy': 'merge',
              'x-kubernetes-patch-merge-key': 'port',
              items: { type: 'object', properties: { port: { type: 'integer' }, name: { type: 'string' } } },
            },
          },
        },
      },
    });
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports: [{ port: 80, name: 'http' }] },
    };
    const out = strategicMergePatch(svc, { spec: { ports: [{ port: 443, name: 'https' }] } }, schema);
    expect(out.spec).toEqual({
      ports: [
        { port: 443, name: 'https' },
        { port: 80, name: 'http' },
      ],
    });
    const renamed = strategicMergePatch(out, { spec: { ports: [{ port: 80, name: 'web' }] } }, schema);
    expect(renamed.spec).toEqual({
      ports: [
        { port: 443, name: 'https' },
        { port: 80, name: 'web' },
      ],
    });
  });
});

describe('defaultFieldManager', () => {
  it('takes the User-Agent up to the first slash, printable characters, at most 128 bytes', () => {
    expect(defaultFieldManager('kubectl/v1.32.5 (linux/amd64) kubernetes/abc')).toBe('kubectl');
    expect(defaultFieldManager('my\u0007agent/1')).toBe('myagent');
    expect(defaultFieldManager('x'.repeat(200))).toHaveLength(128);
    expect(defaultFieldManager(undefined)).toBe('');
  });
});

describe('schemaNodeFromOpenAPIV3', () => {
  it('reads the x-kubernetes extensions and resolves $refs without looping', () => {
    const node = schemaNodeFromOpenAPIV3(
      {
        type: 'object',
        properties: {
          list: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['k'],
            items: { type: 'object' },
          },
          m: { type: 'object', 'x-kubernetes-map-type': 'atomic' },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
          self: { allOf: [{ $ref: '#/components/schemas/Node' }] },
        },
      },
      {
        definitions: {
          Node: { type: 'object', properties: { next: { $ref: '#/components/schemas/Node' } } },
        },
      },
    );
    expect(node.properties?.list).toMatchObject({ listType: 'map', listMapKeys: ['k'] });
    expect(node.properties?.m?.mapType).toBe('atomic');
    expect(node.properties?.free?.preserveUnknownFields).toBe(true);
    expect(node.properties?.port?.intOrString).toBe(true);
    expect(node.properties?.self?.properties?.next).toBe(node.properties?.self);
  });
});
