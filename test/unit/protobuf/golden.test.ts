// Golden vectors written by Go (k8s.io/api, apimachinery, apiextensions-apiserver v0.32.5): the
// protobuf serializer's bytes and encoding/json's rendering of the same objects.
import { describe, expect, it } from 'vitest';
import vectors from './vectors/go-v0.32.5.json' with { type: 'json' };
import {
  WatchFrameReader,
  decodeEnvelope,
  decodeWatchEvent,
  encodeWatchFrame,
  objectToProtobuf,
  protobufToObject,
} from '../../../src/protobuf/index.js';

interface Vector {
  protobuf: string;
  json: any;
}
const all = vectors as Record<string, Vector>;
const objects = Object.entries(all).filter(([name]) => name !== 'watch-stream');
const bytes = (v: Vector): Buffer => Buffer.from(v.protobuf, 'base64');

describe('protobuf objects against Go', () => {
  it.each(objects)('%s: protobuf -> JSON equals encoding/json', (_name, v) => {
    expect(protobufToObject(bytes(v))).toEqual(v.json);
  });

  it.each(objects)('%s: JSON -> protobuf equals the Go serializer byte for byte', (_name, v) => {
    expect(objectToProtobuf(v.json).toString('hex')).toBe(bytes(v).toString('hex'));
  });

  it.each(objects)('%s: compact decoding loses nothing Go can see', (_name, v) => {
    const compact = protobufToObject(bytes(v), { compact: true });
    expect(objectToProtobuf(compact).toString('hex')).toBe(bytes(v).toString('hex'));
  });

  it('compact decoding drops Go zero values', () => {
    expect(protobufToObject(bytes(all['namespace-minimal']!), { compact: true })).toEqual({
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name: 'bare' },
    });
    const pod = protobufToObject(bytes(all['pod']!), { compact: true }) as any;
    // Pointers keep their zero values: they are set, not absent.
    expect(pod.spec.containers[0].securityContext).toEqual({
      runAsNonRoot: false,
      runAsUser: 0,
      privileged: false,
    });
    expect(pod.spec.containers[0].env[0]).toEqual({ name: 'A' });
  });

  it.each(objects)('%s: JSON -> protobuf -> JSON round-trips', (_name, v) => {
    expect(protobufToObject(objectToProtobuf(v.json))).toEqual(v.json);
  });

  it('renders the Go JSON conventions', () => {
    const ns = protobufToObject(bytes(all['namespace']!)) as any;
    expect(ns.metadata.creationTimestamp).toBe('2025-03-04T05:06:07Z');
    expect(ns.metadata.managedFields[0].fieldsV1).toEqual({
      'f:metadata': { 'f:labels': { '.': {}, 'f:team': {} } },
    });
    const bare = protobufToObject(bytes(all['namespace-minimal']!)) as any;
    // A zero metav1.Time is a non-pointer struct: omitempty does not drop it, it renders null.
    expect(bare).toEqual({
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name: 'bare', creationTimestamp: null },
      spec: {},
      status: {},
    });
    const pod = protobufToObject(bytes(all['pod']!)) as any;
    const c = pod.spec.containers[0];
    expect(c.resources.requests).toEqual({ cpu: '100m', memory: '1e3' });
    expect(c.readinessProbe.httpGet.port).toBe('http');
    expect(c.livenessProbe.tcpSocket.port).toBe(8080);
    expect(c.securityContext.runAsNonRoot).toBe(false);
    expect(c.env[0]).toEqual({ name: 'A' });
    expect(pod.spec.tolerations[0].tolerationSeconds).toBe(-1);
    expect(pod.spec.volumes[0].configMap).toEqual({ name: 'cfg', defaultMode: 420 });
    const lease = protobufToObject(bytes(all['lease']!)) as any;
    expect(lease.spec.renewTime).toBe('2025-03-04T05:06:07.123456Z');
    const secret = protobufToObject(bytes(all['secret']!)) as any;
    expect(secret.data).toEqual({ a: 'aGVsbG8=', empty: '' });
  });

  it('reads the envelope', () => {
    const env = decodeEnvelope(bytes(all['status']!));
    expect(env).toMatchObject({ apiVersion: 'v1', kind: 'Status', contentEncoding: '', contentType: '' });
    expect(() => decodeEnvelope(Buffer.from('{"kind":"Namespace"}'))).toThrow(
      'expected prefix [107 56 115 0]',
    );
  });

  it('defaults a missing apiVersion/kind to the endpoint kind', () => {
    const raw = decodeEnvelope(bytes(all['namespace-minimal']!)).raw;
    const noType = Buffer.concat([
      Buffer.from('k8s\0', 'latin1'),
      Buffer.from([0x0a, 0x00, 0x12, raw.length]),
      raw,
    ]);
    expect(() => protobufToObject(noType)).toThrow("Object 'Kind' is missing");
    expect(protobufToObject(noType, { defaults: { apiVersion: 'v1', kind: 'Namespace' } })).toMatchObject({
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name: 'bare' },
    });
  });
});

describe('protobuf watch streams against Go', () => {
  const stream = bytes(all['watch-stream']!);
  const events = all['watch-stream']!.json as Array<{ type: string; object: any }>;

  it('reads length-prefixed WatchEvent frames split at any byte', () => {
    const reader = new WatchFrameReader();
    const frames: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 7) frames.push(...reader.push(stream.subarray(i, i + 7)));
    expect(frames.map((f) => decodeWatchEvent(f))).toEqual(events);
  });

  it('writes the same frames as the apiserver', () => {
    const written = Buffer.concat(events.map((e) => encodeWatchFrame(e.type, e.object)));
    expect(written.toString('hex')).toBe(stream.toString('hex'));
  });
});
