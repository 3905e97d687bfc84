import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VirtualRegistry } from '../../../src/registry/registry.js';
import type { ListQuery, ListResult } from '../../../src/store/types.js';
import { type Harness, W, startHarness, widget } from '../handlers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.store.create(
    { group: '', resource: 'namespaces', namespace: '', name: 'ns1' },
    { metadata: { name: 'ns1' } },
  );
  for (let i = 0; i < 40; i++)
    await h.req('POST', W, widget(`w${String(i).padStart(2, '0')}`, { color: i % 2 ? 'red' : 'blue' }));
  // Big objects straight into the store (bodies over the API are capped at 3 MiB).
  for (let i = 0; i < 6; i++) {
    const name = `big${i}`;
    h.store.create(
      { group: 'example.com', resource: 'widgets', namespace: 'ns1', name },
      {
        ...widget(name),
        metadata: { name, namespace: 'ns1', labels: { big: 'yes' } },
        spec: { color: 'x'.repeat(1024 * 1024) },
      },
    );
  }
});
afterAll(() => h.close());

describe('streamed virtual LISTs', () => {
  it('serves the same list as JSON, Table and PartialObjectMetadataList', async () => {
    const json = await h.req('GET', `${W}?labelSelector=!big`);
    expect(json.status).toBe(200);
    expect(json.json.kind).toBe('WidgetList');
    expect(json.json.apiVersion).toBe('example.com/v1');
    expect(json.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(
      Array.from({ length: 40 }, (_, i) => `w${String(i).padStart(2, '0')}`),
    );
    expect(json.json.items[0].kind).toBe('Widget');
    expect(Number(json.json.metadata.resourceVersion)).toBe(h.store.currentRV());
    const table = await h.req('GET', `${W}?labelSelector=!big`, undefined, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    expect(table.json.kind).toBe('Table');
    expect(table.json.columnDefinitions[0].name).toBe('Name');
    expect(table.json.rows).toHaveLength(40);
    expect(table.json.rows[3].cells[0]).toBe('w03');
    expect(table.json.rows[3].object.kind).toBe('PartialObjectMetadata');
    const partial = await h.req('GET', `${W}?fieldSelector=spec.color=red`, undefined, {
      accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
    });
    expect(partial.json.kind).toBe('PartialObjectMetadataList');
    expect(partial.json.items).toHaveLength(20);
  });

  it('reads big objects a page of one at a time', async () => {
    const spy = vi.spyOn(h.store, 'list');
    const r = await h.req('GET', `${W}?labelSelector=big`);
    expect(r.json.items).toHaveLength(6);
    const pages = spy.mock.results.map((r) => (r.value as ListResult).items.length);
    const maxBytes = spy.mock.calls.map((c) => (c[0] as ListQuery).maxBytes);
    spy.mockRestore();
    // The 1 MiB objects come first in key order: each is read on its own (its size is known before
    // it is read); then the small ones in one page.
    expect(pages).toEqual([1, 1, 1, 1, 1, 1, 40]);
    expect(new Set(maxBytes)).toEqual(new Set([256 * 1024]));
  });

  it('writes stored objects as stored when serving changes nothing, and decodes the others', async () => {
    // Stored without type meta first (as a body without apiVersion and kind is stored): decoded and given it.
    h.store.create(
      { group: 'example.com', resource: 'widgets', namespace: 'ns1', name: 'zz-bare' },
      { metadata: { name: 'zz-bare', namespace: 'ns1' }, spec: { color: 'green' } },
    );
    const decoded = vi.spyOn(VirtualRegistry.prototype, 'withTypeMeta');
    const r = await h.req('GET', W);
    const decodedNames = decoded.mock.calls.map((c) => c[0].metadata?.name);
    decoded.mockRestore();
    expect(r.status).toBe(200);
    expect(decodedNames).toEqual(['zz-bare']);
    const bare = r.json.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'zz-bare');
    expect([bare.apiVersion, bare.kind]).toEqual(['example.com/v1', 'Widget']);
    // Byte for byte what the store holds, resourceVersion included.
    const stored = h.store.get({ group: 'example.com', resource: 'widgets', namespace: 'ns1', name: 'w07' })!;
    expect(r.text).toContain(JSON.stringify(stored.object));
    h.store.delete({ group: 'example.com', resource: 'widgets', namespace: 'ns1', name: 'zz-bare' });
  });

  it('pages with limit and continue as before', async () => {
    const first = await h.req('GET', `${W}?labelSelector=!big&limit=15`);
    expect(first.json.items).toHaveLength(15);
    expect(first.json.metadata.remainingItemCount).toBeUndefined();
    const all = await h.req('GET', `${W}?limit=15`);
    expect(all.json.metadata.remainingItemCount).toBe(31);
    const next = await h.req(
      'GET',
      `${W}?labelSelector=!big&limit=100&continue=${encodeURIComponent(first.json.metadata.continue)}`,
    );
    expect(next.json.items[0].metadata.name).toBe('w15');
    expect(next.json.items).toHaveLength(25);
  });

  it('answers option errors as a Status before streaming', async () => {
    const r = await h.req('GET', `${W}?resourceVersion=999999`);
    expect([r.status, r.json.reason]).toEqual([504, 'Timeout']);
  });

  it('stops reading the store when the client goes away', async () => {
    const spy = vi.spyOn(h.store, 'list');
    await new Promise<void>((resolve) => {
      const req = request(`${h.url}${W}?labelSelector=big`, (res) => {
        res.once('data', () => {
          req.destroy();
          setTimeout(resolve, 200);
        });
      });
      req.end();
    });
    const calls = spy.mock.calls.length;
    spy.mockRestore();
    expect(calls).toBeLessThan(6);
  });
});
