// A custom resource whose CRD names a conversion webhook, served through the virtual handler
// with a real in-process HTTPS webhook (test/helpers/conversion-answers.mjs): objects are stored
// in the storage version and converted for GET, LIST, WATCH, writes and deletes in another
// version; a failing or lying webhook is the apiserver's 500.
import { mkdtempSync } from 'node:fs';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createHttps, type Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseRequestInfo } from '../../../src/api/request-info.js';
import { writeError } from '../../../src/api/respond.js';
import {
  crdResourceInfos,
  customResourceStrategy,
  type CustomResourceDefinition,
} from '../../../src/apiextensions/index.js';
import { webhookConverter } from '../../../src/admission/webhooks/conversion.js';
import { handleVirtualRequest } from '../../../src/handlers/virtual.js';
import { createCA, issueCert } from '../../../src/pki/certs.js';
import { SqliteTenantStore } from '../../../src/store/sqlite-tenant-store.js';
// @ts-expect-error -- a plain ES module shared with the webhook test program
import { conversionAnswer } from '../../helpers/conversion-answers.mjs';

type Review = { request: { uid: string; desiredAPIVersion: string; objects: { apiVersion: string }[] } };
const calls: { path: string; review: Review }[] = [];
let hook: HttpsServer;
let hookBase = '';
let caBundle = '';
let api: Server;
let apiBase = '';
let store: SqliteTenantStore;
let path = '/convert';
let storage = 'v1';
let reviewVersions = ['v1', 'v1beta1'];

const schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } as const;
const crd = (): CustomResourceDefinition => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'foos.stable.example.com', resourceVersion: String(calls.length) },
  spec: {
    group: 'stable.example.com',
    names: { plural: 'foos', singular: 'foo', kind: 'Foo', listKind: 'FooList' },
    scope: 'Namespaced',
    versions: ['v1', 'v2'].map((name) => ({
      name,
      served: true,
      storage: name === storage,
      schema: { openAPIV3Schema: schema as never },
      subresources: { scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
    })),
    conversion: {
      strategy: 'Webhook',
      webhook: {
        clientConfig: { url: `${hookBase}${path}`, caBundle },
        conversionReviewVersions: reviewVersions,
      },
    },
  },
});

async function req(
  method: string,
  p: string,
  body?: unknown,
): Promise<{ status: number; json: any; text: string }> {
  const r = await fetch(apiBase + p, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, json, text };
}
const V1 = '/apis/stable.example.com/v1/namespaces/ns/foos';
const V2 = '/apis/stable.example.com/v2/namespaces/ns/foos';
const foo = (name: string, spec: Record<string, unknown>, version = 'v1') => ({
  apiVersion: `stable.example.com/${version}`,
  kind: 'Foo',
  metadata: { name },
  spec,
});
/** The calls about object `name` (a watcher of an earlier test may still convert others). */
const mine = (name: string) =>
  calls.filter((c) => c.review.request.objects.some((o: any) => o.metadata?.name === name));
const stored = (name: string) =>
  store.get({ group: 'stable.example.com', resource: 'foos', namespace: 'ns', name })?.object;

beforeAll(async () => {
  const ca = await createCA('unit-conversion');
  const leaf = await issueCert(ca, { commonName: 'c', ipAddresses: ['127.0.0.1'], server: true });
  caBundle = Buffer.from(ca.cert).toString('base64');
  hook = createHttps({ cert: leaf.cert, key: leaf.key }, (q, s) => {
    let text = '';
    q.on('data', (c: Buffer) => (text += c.toString()));
    q.on('end', () => {
      const p = (q.url ?? '').split('?')[0]!;
      const review = JSON.parse(text) as Review;
      calls.push({ path: p, review });
      const a = conversionAnswer(p, review) as { status: number; body: string; hang?: boolean };
      if (a.hang) return;
      s.writeHead(a.status, { 'Content-Type': 'application/json' });
      s.end(a.body);
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookBase = `https://127.0.0.1:${(hook.address() as { port: number }).port}`;
  store = new SqliteTenantStore('t1', join(mkdtempSync(join(tmpdir(), 'kplex-conv-')), 't1.db'), {
    changeLogRetention: 50,
  });
  api = createHttp((q, s) => {
    try {
      const u = new URL(q.url!, 'http://x');
      const ri = parseRequestInfo(q.method!, u.pathname, u.searchParams);
      const c = crd();
      const row = crdResourceInfos(c).find((r) => r.version === ri.apiVersion)!;
      handleVirtualRequest(q, s, {
        tenant: 't1',
        store,
        info: row,
        strategy: customResourceStrategy(c, row.version),
        requestInfo: ri,
        query: u.searchParams,
        user: { username: 'alice', groups: [] },
        converter: webhookConverter(c, () => ({ urlsAllowed: true })),
      }).catch((err: unknown) => writeError(s, err));
    } catch (err) {
      writeError(s, err);
    }
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  apiBase = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
});
afterAll(async () => {
  hook.closeAllConnections();
  await new Promise<void>((r) => hook.close(() => r()));
  await new Promise<void>((r) => api.close(() => r()));
  store.close();
});
beforeEach(() => {
  calls.length = 0;
  path = '/convert';
  storage = 'v1';
  reviewVersions = ['v1', 'v1beta1'];
  for (const s of store.list({ group: 'stable.example.com', resource: 'foos' }).items) store.delete(s.key);
});

describe('conversion webhook: reads', () => {
  it('a v1 object read in v2 is converted; in v1 it is not (no call)', async () => {
    expect((await req('POST', V1, foo('a', { hostPort: 'localhost:8080' }))).status).toBe(201);
    expect(calls).toHaveLength(0);
    const g = await req('GET', `${V2}/a`);
    expect(g.status).toBe(200);
    expect(g.json.apiVersion).toBe('stable.example.com/v2');
    expect(g.json.spec).toEqual({ host: 'localhost', port: '8080' });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.review.request.desiredAPIVersion).toBe('stable.example.com/v2');
    expect((await req('GET', `${V1}/a`)).json.spec).toEqual({ hostPort: 'localhost:8080' });
    expect(calls).toHaveLength(1);
  });

  it('a non homogeneous list (the storage version changed) is served in either version', async () => {
    await req('POST', V1, foo('a', { hostPort: 'h1:1' }));
    storage = 'v2';
    expect((await req('POST', V2, foo('b', { host: 'h2', port: '2' }, 'v2'))).status).toBe(201);
    expect(stored('a')?.apiVersion).toBe('stable.example.com/v1');
    expect(stored('b')?.apiVersion).toBe('stable.example.com/v2');
    const l1 = await req('GET', V1);
    expect(l1.json.apiVersion).toBe('stable.example.com/v1');
    expect(l1.json.items.map((i: any) => [i.apiVersion, i.spec])).toEqual([
      ['stable.example.com/v1', { hostPort: 'h1:1' }],
      ['stable.example.com/v1', { hostPort: 'h2:2' }],
    ]);
    const l2 = await req('GET', V2);
    expect(l2.json.items.map((i: any) => i.spec)).toEqual([
      { host: 'h1', port: '1' },
      { host: 'h2', port: '2' },
    ]);
    // As a Table too (the printer columns see the converted object).
    const t = await fetch(apiBase + V2, {
      headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    });
    expect(((await t.json()) as any).rows).toHaveLength(2);
  });

  it('a watch in v2 gets the v1-stored objects converted, in order', async () => {
    await req('POST', V1, foo('a', { hostPort: 'h1:1' }));
    const ctl = new AbortController();
    const r = await fetch(`${apiBase}${V2}?watch=1`, { signal: ctl.signal });
    const reader = r.body!.getReader();
    let text = '';
    const events: any[] = [];
    const next = async (n: number) => {
      while (events.length < n) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
        let i;
        while ((i = text.indexOf('\n')) >= 0) {
          events.push(JSON.parse(text.slice(0, i)));
          text = text.slice(i + 1);
        }
      }
    };
    await next(1);
    await req('POST', V2, foo('b', { host: 'h2', port: '2' }, 'v2'));
    await req('DELETE', `${V1}/a`);
    await next(3);
    ctl.abort();
    expect(events.map((e) => [e.type, e.object.metadata.name, e.object.apiVersion, e.object.spec])).toEqual([
      ['ADDED', 'a', 'stable.example.com/v2', { host: 'h1', port: '1' }],
      ['ADDED', 'b', 'stable.example.com/v2', { host: 'h2', port: '2' }],
      ['DELETED', 'a', 'stable.example.com/v2', { host: 'h1', port: '1' }],
    ]);
  });
});

describe('conversion webhook: writes', () => {
  it('a create in a non-storage version is stored converted, answered in its version (two calls)', async () => {
    const c = await req('POST', V2, foo('c1', { host: 'h', port: '9' }, 'v2'));
    expect(c.status).toBe(201);
    expect(c.json.apiVersion).toBe('stable.example.com/v2');
    expect(c.json.spec).toEqual({ host: 'h', port: '9' });
    expect(stored('c1')).toMatchObject({ apiVersion: 'stable.example.com/v1', spec: { hostPort: 'h:9' } });
    expect(mine('c1').map((x) => x.review.request.desiredAPIVersion)).toEqual([
      'stable.example.com/v1',
      'stable.example.com/v2',
    ]);
  });

  it('update and patch in v2 of a v1-stored object: read, converted, stored in v1', async () => {
    await req('POST', V1, foo('a', { hostPort: 'h:1' }));
    const g = (await req('GET', `${V2}/a`)).json;
    g.spec.port = '2';
    const u = await req('PUT', `${V2}/a`, g);
    expect(u.status).toBe(200);
    expect(u.json.spec).toEqual({ host: 'h', port: '2' });
    expect(u.json.metadata.generation).toBe(2);
    expect(stored('a')?.spec).toEqual({ hostPort: 'h:2' });
    const p = await fetch(`${apiBase}${V2}/a`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ spec: { port: '3' } }),
    });
    expect(p.status).toBe(200);
    expect(((await p.json()) as any).spec).toEqual({ host: 'h', port: '3' });
    expect(stored('a')?.spec).toEqual({ hostPort: 'h:3' });
  });

  it('a delete in v2 of an object held by a finalizer answers it in v2', async () => {
    const held = foo('d', { hostPort: 'h:1' });
    (held.metadata as Record<string, unknown>)['finalizers'] = ['example.com/keep'];
    await req('POST', V1, held);
    const d = await req('DELETE', `${V2}/d`);
    expect(d.status).toBe(200);
    expect(d.json).toMatchObject({ apiVersion: 'stable.example.com/v2', spec: { host: 'h', port: '1' } });
    expect(d.json.metadata.deletionTimestamp).toBeDefined();
    expect(stored('d')).toMatchObject({ apiVersion: 'stable.example.com/v1', spec: { hostPort: 'h:1' } });
    // A CR's delete that completes answers a Status, as the apiserver.
    await req('POST', V1, foo('e', { hostPort: 'h:1' }));
    expect((await req('DELETE', `${V2}/e`)).json).toMatchObject({ kind: 'Status', status: 'Success' });
  });

  it('the scale subresource in v2 reads and writes the v1-stored object through the webhook', async () => {
    await req('POST', V1, foo('s', { hostPort: 'h:1', replicas: 2 }));
    const g = await req('GET', `${V2}/s/scale`);
    expect(g.json.spec).toEqual({ replicas: 2 });
    expect(mine('s').map((x) => x.review.request.desiredAPIVersion)).toEqual(['stable.example.com/v2']);
    const u = await req('PUT', `${V2}/s/scale`, { ...g.json, spec: { replicas: 5 } });
    expect(u.status).toBe(200);
    expect(u.json.spec).toEqual({ replicas: 5 });
    expect(stored('s')).toMatchObject({
      apiVersion: 'stable.example.com/v1',
      spec: { hostPort: 'h:1', replicas: 5 },
    });
  });

  it('v1beta1 reviews when the CRD asks only for them', async () => {
    reviewVersions = ['v1beta1'];
    await req('POST', V1, foo('a', { hostPort: 'h:1' }));
    expect((await req('GET', `${V2}/a`)).json.spec).toEqual({ host: 'h', port: '1' });
    expect((calls[0]!.review as unknown as { apiVersion: string }).apiVersion).toBe(
      'apiextensions.k8s.io/v1beta1',
    );
  });

  it('labels and annotations of the answer are kept, the rest of metadata restored', async () => {
    await req('POST', V1, foo('a', { hostPort: 'h:1' }));
    path = '/convert-meta';
    const g = (await req('GET', `${V2}/a`)).json;
    expect(g.metadata.labels).toEqual({ converted: 'yes' });
    expect(g.metadata.generation).toBe(1);
    expect(g.metadata.finalizers).toBeUndefined();
  });
});

describe('conversion webhook: failures are the apiserver 500', () => {
  const fails = async (p: string): Promise<any> => {
    path = '/convert';
    await req('POST', V1, foo('a', { hostPort: 'h:1' }));
    path = p;
    const g = await req('GET', `${V2}/a`);
    expect(g.status).toBe(500);
    expect(g.json).toMatchObject({ kind: 'Status', status: 'Failure', code: 500 });
    expect(g.json.reason).toBeUndefined();
    return g.json;
  };
  const prefix = 'conversion webhook for stable.example.com/v1, Kind=Foo';

  it('Failed results, lies about uid, count, version, name, namespace, uid', async () => {
    expect((await fails('/convert-fail')).message).toBe(`${prefix} failed: the test converter refuses this`);
    expect((await fails('/convert-failed-silent')).message).toBe(
      `${prefix} failed: response.result.status was 'Failure', not 'Success'`,
    );
    expect((await fails('/convert-bad-uid')).message).toMatch(
      new RegExp(`^${prefix} failed: expected response.uid="[0-9a-f-]{36}", got "not-the-request-uid"$`),
    );
    expect((await fails('/convert-none')).message).toBe(`${prefix} returned 0 objects, expected 1`);
    expect((await fails('/convert-same-version')).message).toBe(
      `${prefix} returned invalid object at index 0: invalid groupVersion (expected stable.example.com/v2, received stable.example.com/v1)`,
    );
    expect((await fails('/convert-rename')).message).toBe(
      `${prefix} returned invalid object: must have the same name: a != a-x`,
    );
    expect((await fails('/convert-move')).message).toBe(
      `${prefix} returned invalid object: must have the same namespace: ns != elsewhere`,
    );
    expect((await fails('/convert-uid')).message).toMatch(
      /returned invalid object: must have the same UID: .* != forged$/,
    );
    expect((await fails('/convert-bad-label')).message).toMatch(
      new RegExp(`^${prefix} returned invalid metadata: metadata.labels: Invalid value: "bad key!"`),
    );
  });

  it('answers that are not JSON, not 2xx or too large', async () => {
    expect((await fails('/convert-not-json')).message).toBe(
      `${prefix} failed: received invalid webhook response: the response is not JSON`,
    );
    expect((await fails('/convert-500')).message).toBe(
      `${prefix} failed: Post "${hookBase}/convert-500?timeout=30s": the server responded with the status code 500 but did not return more information`,
    );
    expect((await fails('/convert-huge')).message).toBe(
      `${prefix} failed: Post "${hookBase}/convert-huge?timeout=30s": response larger than 4194304 bytes`,
    );
  });

  it('a failed write stores nothing; a watch ends with an ERROR event', async () => {
    path = '/convert-fail';
    const c = await req('POST', V2, foo('b', { host: 'h', port: '1' }, 'v2'));
    expect(c.status).toBe(500);
    expect(c.json.message).toBe(
      'conversion webhook for stable.example.com/v2, Kind=Foo failed: the test converter refuses this',
    );
    expect(stored('b')).toBeUndefined();
    path = '/convert';
    await req('POST', V1, foo('a', { hostPort: 'h:1' }));
    path = '/convert-fail';
    const w = await req('GET', `${V2}?watch=1`);
    const lines = w.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      {
        type: 'ERROR',
        object: expect.objectContaining({
          code: 500,
          message: `${prefix} failed: the test converter refuses this`,
        }),
      },
    ]);
  });
});
