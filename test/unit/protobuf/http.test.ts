// Protobuf over HTTP through handleVirtualRequest, with a real SQLite tenant store: a Namespace
// created from the bytes client-go writes, read back, listed and watched as protobuf.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import vectors from './vectors/go-v0.32.5.json' with { type: 'json' };
import { type Harness, W, startHarness, widget } from '../handlers/harness.js';
import { builtinVirtualResources } from '../../../src/builtin/builtin-virtual.js';
import { namespaceStrategy } from '../../../src/tenancy/namespace-strategy.js';
import {
  WatchFrameReader,
  decodeWatchEvent,
  objectToProtobuf,
  protobufToObject,
} from '../../../src/protobuf/index.js';

const PB = 'application/vnd.kubernetes.protobuf';
const clientGoAccept = `${PB}, application/json`;
const nsInfo = builtinVirtualResources.find((r) => r.resource === 'namespaces')!;
const goNamespace = Buffer.from(
  (vectors as Record<string, { protobuf: string }>)['namespace-minimal']!.protobuf,
  'base64',
);

let h: Harness;
beforeAll(async () => {
  h = await startHarness([{ info: nsInfo, strategy: namespaceStrategy }]);
});
afterAll(() => h.close());

async function call(
  method: string,
  path: string,
  body?: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string; body: Buffer }> {
  const r = await fetch(h.url + path, { method, headers, body });
  return {
    status: r.status,
    type: r.headers.get('content-type') ?? '',
    body: Buffer.from(await r.arrayBuffer()),
  };
}

describe('protobuf on a virtual built-in kind', () => {
  it('creates a Namespace from a protobuf body and answers protobuf', async () => {
    const r = await call('POST', '/api/v1/namespaces', goNamespace, {
      'content-type': PB,
      accept: clientGoAccept,
    });
    expect(r.status).toBe(201);
    expect(r.type).toBe(PB);
    const ns = protobufToObject(r.body) as any;
    expect(ns).toMatchObject({
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name: 'bare', labels: { 'kubernetes.io/metadata.name': 'bare' } },
    });
    expect(ns.spec.finalizers).toEqual(['kubernetes']);
    expect(ns.status.phase).toBe('Active');
    expect(ns.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(ns.metadata.uid).toBeTruthy();
  });

  it('gets it back as protobuf, and as JSON for JSON clients', async () => {
    const pb = await call('GET', '/api/v1/namespaces/bare', undefined, { accept: clientGoAccept });
    expect(pb.type).toBe(PB);
    const json = await call('GET', '/api/v1/namespaces/bare', undefined, { accept: 'application/json' });
    expect(json.type).toBe('application/json');
    const fromJSON = JSON.parse(json.body.toString());
    expect(protobufToObject(pb.body)).toMatchObject({
      metadata: fromJSON.metadata,
      spec: fromJSON.spec,
      status: fromJSON.status,
    });
  });

  it('lists as a protobuf NamespaceList', async () => {
    const r = await call('GET', '/api/v1/namespaces', undefined, { accept: PB });
    expect(r.status).toBe(200);
    const list = protobufToObject(r.body) as any;
    expect(list.kind).toBe('NamespaceList');
    expect(list.items.map((i: any) => i.metadata.name)).toEqual(['bare']);
    expect(list.metadata.resourceVersion).toBeTruthy();
  });

  it('watches as length-prefixed protobuf frames', async () => {
    const ac = new AbortController();
    const r = await fetch(`${h.url}/api/v1/namespaces?watch=true&resourceVersion=0`, {
      headers: { accept: clientGoAccept },
      signal: ac.signal,
    });
    expect(r.headers.get('content-type')).toBe(`${PB};stream=watch`);
    const reader = r.body!.getReader();
    const frames = new WatchFrameReader();
    const events = [];
    while (events.length === 0) {
      const { value, done } = await reader.read();
      if (done) break;
      events.push(...frames.push(value).map((f) => decodeWatchEvent(f)));
    }
    ac.abort();
    expect(events[0]).toMatchObject({
      type: 'ADDED',
      object: { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'bare' } },
    });
  });

  it('updates from a protobuf body and deletes with protobuf DeleteOptions', async () => {
    const current = protobufToObject(
      (await call('GET', '/api/v1/namespaces/bare', undefined, { accept: PB })).body,
    ) as any;
    current.metadata.labels.team = 'a';
    const put = await call('PUT', '/api/v1/namespaces/bare', objectToProtobuf(current), {
      'content-type': PB,
      accept: PB,
    });
    expect(put.status).toBe(200);
    expect((protobufToObject(put.body) as any).metadata.labels.team).toBe('a');
    const opts = objectToProtobuf({ kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] });
    const del = await call('DELETE', '/api/v1/namespaces/bare', opts, { 'content-type': PB, accept: PB });
    expect(del.status).toBe(200);
    expect(protobufToObject(del.body)).toMatchObject({ kind: 'Namespace', metadata: { name: 'bare' } });
    const still = await call('GET', '/api/v1/namespaces/bare', undefined, { accept: 'application/json' });
    expect(JSON.parse(still.body.toString()).metadata.deletionTimestamp).toBeUndefined();
  });

  it('refuses a body that is not a protobuf object as 400', async () => {
    const r = await call('POST', '/api/v1/namespaces', Buffer.from('{"metadata":{"name":"x"}}'), {
      'content-type': PB,
    });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body.toString()).message).toContain('expected prefix [107 56 115 0]');
  });
});

describe('protobuf on a custom resource', () => {
  it('answers JSON when JSON is acceptable, 406 when only protobuf is', async () => {
    expect((await h.req('POST', W, widget('w1'))).status).toBe(201);
    const both = await call('GET', `${W}/w1`, undefined, { accept: clientGoAccept });
    expect([both.status, both.type]).toEqual([200, 'application/json']);
    expect((await call('GET', `${W}/w1`, undefined, { accept: PB })).status).toBe(406);
  });

  it('serves PartialObjectMetadataList as protobuf (the metadata client)', async () => {
    const accept = `${PB};as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json`;
    const r = await call('GET', W, undefined, { accept });
    expect(r.type).toBe(PB);
    const list = protobufToObject(r.body) as any;
    expect(list).toMatchObject({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1' });
    expect(list.items[0].metadata).toMatchObject({ name: 'w1', namespace: 'ns1' });
  });
});
