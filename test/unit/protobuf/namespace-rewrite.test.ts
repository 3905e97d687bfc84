 
// Host passthrough rewrites metadata.namespace in protobuf bodies without transcoding them.
import { describe, expect, it } from 'vitest';
import vectors from './vectors/go-v0.32.5.json' with { type: 'json' };
import {
  WatchFrameReader,
  decodeWatchEvent,
  objectToProtobuf,
  protobufToObject,
  rewriteProtobufNamespace,
  rewriteWatchFrameNamespace,
} from '../../../src/protobuf/index.js';

const all = vectors as Record<string, { protobuf: string; json: any }>;
const pb = (name: string): Buffer => Buffer.from(all[name]!.protobuf, 'base64');
const toHost = (ns: string): string => (ns ? `t1-${ns}` : ns);

describe('rewriteProtobufNamespace', () => {
  it('rewrites an object and leaves every other field as Go wrote it', () => {
    const out = rewriteProtobufNamespace(pb('pod'), toHost);
    const expected = structuredClone(all['pod']!.json);
    expected.metadata.namespace = 't1-team-a';
    expect(protobufToObject(out)).toEqual(expected);
    // Byte-identical to Go's serialization of the rewritten object.
    expect(Buffer.from(out).toString('hex')).toBe(objectToProtobuf(expected).toString('hex'));
  });

  it('rewrites every item of a list', () => {
    const list = structuredClone(all['namespace-list']!.json);
    for (const item of list.items) item.metadata.namespace = 'a';
    const out = protobufToObject(
      rewriteProtobufNamespace(objectToProtobuf(list), (ns) => ns + '-host'),
    ) as any;
    expect(out.items.map((i: any) => i.metadata.namespace)).toEqual(['a-host', 'a-host']);
    expect(out.metadata).toEqual(list.metadata);
  });

  it('inserts the field when the body has none, in field order', () => {
    const json = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' } };
    const full = objectToProtobuf(json);
    const out = rewriteProtobufNamespace(full, () => 'x');
    expect(Buffer.from(out).toString('hex')).toBe(
      objectToProtobuf({ ...json, metadata: { name: 'c', namespace: 'x' } }).toString('hex'),
    );
  });

  it('returns the same bytes when nothing changes and for kinds without ObjectMeta', () => {
    const pod = pb('pod');
    expect(rewriteProtobufNamespace(pod, (ns) => ns)).toBe(pod);
    const status = pb('status');
    expect(rewriteProtobufNamespace(status, () => 'x')).toBe(status);
  });

  it('rewrites the object of watch frames', () => {
    const frames = new WatchFrameReader().push(pb('watch-stream'));
    const rewritten = frames.map((f) => rewriteWatchFrameNamespace(f, () => 'host-ns'));
    const events = new WatchFrameReader().push(Buffer.concat(rewritten)).map((f) => decodeWatchEvent(f));
    expect(events.map((e) => [e.type, (e.object as any).metadata?.namespace])).toEqual([
      ['ADDED', 'host-ns'],
      ['ERROR', undefined],
    ]);
  });
});
