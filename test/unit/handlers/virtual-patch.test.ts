// PATCH through the handler with the real patch engine of src/patch.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, W, startHarness, widget } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => h.close());

const merge = { 'content-type': 'application/merge-patch+json' };

describe('patch', () => {
  it('applies merge and JSON patches, bumping generation on spec changes', async () => {
    await h.req('POST', W, widget('p', { color: 'red' }));
    const m = await h.req('PATCH', `${W}/p`, { spec: { replicas: 2 } }, merge);
    expect(m.status).toBe(200);
    expect(m.json.spec).toEqual({ color: 'red', replicas: 2 });
    expect(m.json.metadata.generation).toBe(2);
    const j = await h.req('PATCH', `${W}/p`, [{ op: 'replace', path: '/spec/color', value: 'blue' }], {
      'content-type': 'application/json-patch+json',
    });
    expect(j.json.spec.color).toBe('blue');
  });

  it('conflicts on a stale resourceVersion in the patch and 404s a missing object', async () => {
    await h.req('POST', W, widget('q'));
    const r = await h.req(
      'PATCH',
      `${W}/q`,
      { metadata: { resourceVersion: '999' }, spec: { color: 'x' } },
      merge,
    );
    expect(r.status).toBe(409);
    expect((await h.req('PATCH', `${W}/none`, { spec: {} }, merge)).status).toBe(404);
  });

  it('answers 422 with the patch strict decoding error under Strict', async () => {
    await h.req('POST', W, widget('s'));
    const r = await h.req('PATCH', `${W}/s?fieldValidation=Strict`, { spec: { bogus: 1 } }, merge);
    expect(r.status).toBe(422);
    expect(r.json.message).toMatch(
      /^ "" is invalid: patch: Invalid value: ".*": strict decoding error: unknown field "spec.bogus"$/,
    );
  });

  it('requires a fieldManager for apply', async () => {
    const r = await h.req('PATCH', `${W}/a`, 'metadata:\n  name: a\n', {
      'content-type': 'application/apply-patch+yaml',
    });
    expect(r.status).toBe(422);
    expect(r.json.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
  });

  it('patches the scale subresource', async () => {
    await h.req('POST', W, widget('sc', { replicas: 1 }));
    const r = await h.req('PATCH', `${W}/sc/scale`, { spec: { replicas: 4 } }, merge);
    expect(r.status).toBe(200);
    expect(r.json.spec.replicas).toBe(4);
    expect((await h.req('GET', `${W}/sc`)).json.spec.replicas).toBe(4);
  });
});

describe('watch cleanup', () => {
  it('stops the store watcher when the client goes away', async () => {
    const ac = new AbortController();
    const r = await fetch(`${h.url}${W}?watch=true`, { signal: ac.signal });
    expect(r.status).toBe(200);
    expect(h.store.watcherCount).toBe(1);
    ac.abort();
    await new Promise((res) => setTimeout(res, 100));
    expect(h.store.watcherCount).toBe(0);
  });
});
