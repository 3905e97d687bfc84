// ConversionReview requests and the checks of an answer, with the apiextensions-apiserver
// webhook converter's messages (v1.32 webhook_converter.go).
import { describe, expect, it } from 'vitest';
import {
  checkConverted,
  conversionRequest,
  convertedObjects,
  gvkString,
} from '../../../src/apiextensions/conversion-review.js';

const obj = {
  apiVersion: 'stable.example.com/v1',
  kind: 'Foo',
  metadata: {
    name: 'a',
    namespace: 'ns',
    uid: 'u-1',
    generation: 3,
    resourceVersion: '7',
    labels: { app: 'x' },
    annotations: { note: 'n' },
  },
  spec: { hostPort: 'h:1' },
};
const converted = (over: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) => ({
  apiVersion: 'stable.example.com/v2',
  kind: 'Foo',
  metadata: { ...obj.metadata, ...meta },
  spec: { host: 'h', port: '1' },
  ...over,
});
const answer = (response: Record<string, unknown>, apiVersion = 'apiextensions.k8s.io/v1') => ({
  apiVersion,
  kind: 'ConversionReview',
  response,
});
const ok = { status: 'Success' };

describe('conversion review request', () => {
  it('is v1 when the CRD names v1 first, v1beta1 when it names only v1beta1, refused with neither', () => {
    const r = conversionRequest(['v1', 'v1beta1'], [obj], 'stable.example.com/v2', 'uid-1');
    expect(r.version).toBe('v1');
    expect(JSON.parse(r.body)).toEqual({
      kind: 'ConversionReview',
      apiVersion: 'apiextensions.k8s.io/v1',
      request: { uid: 'uid-1', desiredAPIVersion: 'stable.example.com/v2', objects: [obj] },
      response: { uid: '', convertedObjects: null, result: { metadata: {} } },
    });
    expect(conversionRequest(['v2', 'v1beta1'], [obj], 'x/v2', 'u').version).toBe('v1beta1');
    expect(() => conversionRequest(['v3'], [obj], 'x/v2', 'u')).toThrow(
      'no supported conversion review versions',
    );
  });
});

describe('conversion review answer', () => {
  const v1 = conversionRequest(['v1'], [obj], 'stable.example.com/v2', 'uid-1');
  const beta = conversionRequest(['v1beta1'], [obj], 'stable.example.com/v2', 'uid-1');

  it('returns the converted objects of a Success with the request uid', () => {
    expect(
      convertedObjects('uid-1', v1, answer({ uid: 'uid-1', result: ok, convertedObjects: [1] })),
    ).toEqual([1]);
  });

  it('refuses another review kind, a missing response, another uid (v1 only)', () => {
    expect(() => convertedObjects('uid-1', v1, { apiVersion: 'v1', kind: 'Status' })).toThrow(
      'expected webhook response of apiextensions.k8s.io/v1, Kind=ConversionReview, got v1, Kind=Status',
    );
    expect(() =>
      convertedObjects('uid-1', v1, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview' }),
    ).toThrow('no response provided');
    expect(() => convertedObjects('uid-1', v1, answer({ uid: 'other', result: ok }))).toThrow(
      'expected response.uid="uid-1", got "other"',
    );
    // v1beta1 checks neither the review's kind nor the uid, as the apiserver.
    expect(
      convertedObjects('uid-1', beta, { response: { uid: 'other', result: ok, convertedObjects: [] } }),
    ).toEqual([]);
  });

  it('a result other than Success is its message, or the status it has', () => {
    expect(() =>
      convertedObjects(
        'uid-1',
        v1,
        answer({ uid: 'uid-1', result: { status: 'Failure', message: 'no way' } }),
      ),
    ).toThrow(/^no way$/);
    expect(() =>
      convertedObjects('uid-1', v1, answer({ uid: 'uid-1', result: { status: 'Failure' } })),
    ).toThrow("response.result.status was 'Failure', not 'Success'");
    expect(() => convertedObjects('uid-1', v1, answer({ uid: 'uid-1' }))).toThrow(
      "response.result.status was '', not 'Success'",
    );
  });
});

describe('a converted object', () => {
  const to = 'stable.example.com/v2';
  const single = { single: true, index: 0 };

  it('keeps the original metadata but for labels and annotations, which the webhook may change', () => {
    const out = checkConverted(
      obj,
      converted(
        {},
        { generation: 99, resourceVersion: '1', labels: { app: 'y' }, annotations: undefined, extra: 1 },
      ),
      to,
      single,
    );
    expect(out).toEqual({
      apiVersion: to,
      kind: 'Foo',
      metadata: { ...obj.metadata, labels: { app: 'y' }, annotations: undefined },
      spec: { host: 'h', port: '1' },
    });
    expect('annotations' in out.metadata!).toBe(false);
  });

  it('refuses another version, kind, name, namespace or uid, with the index in a batch', () => {
    expect(() => checkConverted(obj, converted({ apiVersion: 'stable.example.com/v1' }), to, single)).toThrow(
      'returned invalid object at index 0: invalid groupVersion (expected stable.example.com/v2, received stable.example.com/v1)',
    );
    expect(() => checkConverted(obj, converted({ kind: 'Bar' }), to, { single: false, index: 4 })).toThrow(
      'returned invalid converted object at index 4: invalid kind (expected Foo, received Bar)',
    );
    expect(() => checkConverted(obj, converted({}, { name: 'b' }), to, single)).toThrow(
      'returned invalid object: must have the same name: a != b',
    );
    expect(() =>
      checkConverted(obj, converted({}, { namespace: 'other' }), to, { single: false, index: 2 }),
    ).toThrow('returned invalid converted object at index 2: must have the same namespace: ns != other');
    expect(() => checkConverted(obj, converted({}, { uid: 'u-2' }), to, single)).toThrow(
      'returned invalid object: must have the same UID: u-1 != u-2',
    );
  });

  it('refuses metadata of the wrong shape and invalid new labels or annotations', () => {
    expect(() => checkConverted(obj, { ...converted(), metadata: undefined }, to, single)).toThrow(
      'returned invalid object: must have the same name: a != ',
    );
    expect(() => checkConverted(obj, converted({}, { labels: { app: 7 } }), to, single)).toThrow(
      'returned invalid metadata: metadata.labels[app] must be a string, but is int64 in converted object',
    );
    expect(() => checkConverted(obj, converted({}, { labels: ['x'] }), to, single)).toThrow(
      'returned invalid metadata: invalid metadata.labels of type []interface {} in converted object',
    );
    expect(() => checkConverted(obj, converted({}, { labels: { 'bad key!': 'v' } }), to, single)).toThrow(
      /^returned invalid metadata: metadata\.labels: Invalid value: "bad key!": name part must consist of/,
    );
    // Unchanged labels are not validated again.
    expect(checkConverted(obj, converted(), to, single).metadata?.labels).toEqual({ app: 'x' });
  });

  it('prints a GroupVersionKind as Go does', () => {
    expect(gvkString('stable.example.com/v1', 'Foo')).toBe('stable.example.com/v1, Kind=Foo');
    expect(gvkString('v1', 'Pod')).toBe('/v1, Kind=Pod');
  });
});
