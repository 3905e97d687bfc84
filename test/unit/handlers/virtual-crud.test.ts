import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, W, startHarness, widget } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => h.close());

describe('create and get', () => {
  it('creates with system fields and generateName, and gets it back', async () => {
    const r = await h.req('POST', W, { ...widget(''), metadata: { generateName: 'w-' } });
    expect(r.status).toBe(201);
    const m = r.json.metadata;
    expect(m.name).toMatch(/^w-[a-z0-9]{5}$/);
    expect(m.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(m.generation).toBe(1);
    expect(m.namespace).toBe('ns1');
    expect(m.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const g = await h.req('GET', `${W}/${m.name}`);
    expect(g.status).toBe(200);
    expect(g.json.metadata.resourceVersion).toBe(m.resourceVersion);
  });

  it('answers 404 NotFound, 409 AlreadyExists, 400 namespace mismatch, 422 invalid name', async () => {
    const nf = await h.req('GET', `${W}/nope`);
    expect(nf.status).toBe(404);
    expect(nf.json.message).toBe('widgets.example.com "nope" not found');
    await h.req('POST', W, widget('a'));
    const dup = await h.req('POST', W, widget('a'));
    expect(dup.status).toBe(409);
    expect(dup.json.reason).toBe('AlreadyExists');
    const ns = await h.req('POST', W, widget('b', {}, { namespace: 'other' }));
    expect(ns.status).toBe(400);
    expect(ns.json.message).toBe(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
    const bad = await h.req('POST', W, widget('Bad_Name'));
    expect(bad.status).toBe(422);
    expect(bad.json.message).toMatch(
      /^Widget.example.com "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
  });

  it('dryRun=All validates and writes nothing', async () => {
    const r = await h.req('POST', `${W}?dryRun=All`, widget('dry'));
    expect(r.status).toBe(201);
    expect((await h.req('GET', `${W}/dry`)).status).toBe(404);
  });

  it('reads YAML bodies and answers YAML', async () => {
    const r = await h.req(
      'POST',
      W,
      'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: y\nspec:\n  color: red\n',
      {
        'content-type': 'application/yaml',
        accept: 'application/yaml',
      },
    );
    expect(r.status).toBe(201);
    expect(r.headers.get('content-type')).toBe('application/yaml');
    expect(r.text).toContain('color: red');
  });

  it('refuses bodies over 3 MiB with 413', async () => {
    const r = await h.req('POST', W, JSON.stringify(widget('big', { color: 'x'.repeat(3 * 1024 * 1024) })));
    expect(r.status).toBe(413);
    expect(r.json.reason).toBe('RequestEntityTooLarge');
  });
});

describe('field validation', () => {
  const body =
    '{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"f"},"spec":{"color":"a","color":"b","bogus":1}}';
  it('Strict answers 400 with the strict decoding error', async () => {
    const r = await h.req('POST', `${W}?fieldValidation=Strict`, body);
    expect(r.status).toBe(400);
    expect(r.json.message).toBe(
      'Widget in version "v1" cannot be handled as a Widget: strict decoding error: duplicate field "spec.color", unknown field "spec.bogus"',
    );
  });
  it('Warn (the default) answers Warning headers and prunes', async () => {
    const r = await h.req('POST', W, body);
    expect(r.status).toBe(201);
    expect(r.headers.get('warning')).toBe(
      '299 - "duplicate field \\"spec.color\\"", 299 - "unknown field \\"spec.bogus\\""',
    );
    expect(r.json.spec).toEqual({ color: 'b' });
  });
  it('Ignore answers no warning', async () => {
    const r = await h.req('POST', `${W}?fieldValidation=Ignore`, body);
    expect(r.status).toBe(201);
    expect(r.headers.get('warning')).toBeNull();
  });
});

describe('update', () => {
  it('enforces resourceVersion, keeps rv on no-op, bumps generation on spec change only', async () => {
    const c = (await h.req('POST', W, widget('u', { color: 'red' }))).json;
    const noRV = await h.req('PUT', `${W}/u`, widget('u', { color: 'blue' }));
    expect(noRV.status).toBe(422);
    expect(noRV.json.message).toBe(
      'widgets.example.com "u" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    );
    const stale = await h.req('PUT', `${W}/u`, widget('u', { color: 'blue' }, { resourceVersion: '999' }));
    expect(stale.status).toBe(409);
    expect(stale.json.message).toBe(
      'Operation cannot be fulfilled on widgets.example.com "u": the object has been modified; please apply your changes to the latest version and try again',
    );
    const same = await h.req('PUT', `${W}/u`, c);
    expect(same.status).toBe(200);
    expect(same.json.metadata.resourceVersion).toBe(c.metadata.resourceVersion);
    const labelled = await h.req('PUT', `${W}/u`, { ...c, metadata: { ...c.metadata, labels: { a: 'b' } } });
    expect(labelled.json.metadata.generation).toBe(1);
    const changed = await h.req('PUT', `${W}/u`, {
      ...labelled.json,
      spec: { color: 'blue' },
      status: { replicas: 9 },
    });
    expect(changed.json.metadata.generation).toBe(2);
    expect(changed.json.status).toBeUndefined(); // status is written only through /status
  });

  it('writes status only through the status subresource, without generation bump', async () => {
    const c = (await h.req('POST', W, widget('s', { color: 'red' }))).json;
    const r = await h.req('PUT', `${W}/s/status`, {
      ...c,
      spec: { color: 'ignored' },
      status: { replicas: 3 },
    });
    expect(r.status).toBe(200);
    expect(r.json.status).toEqual({ replicas: 3 });
    expect(r.json.spec).toEqual({ color: 'red' });
    expect(r.json.metadata.generation).toBe(1);
  });

  it('has no create-on-update for custom resources', async () => {
    const r = await h.req('PUT', `${W}/ghost`, widget('ghost', {}, { resourceVersion: '5' }));
    expect(r.status).toBe(404);
  });

  it('checks the body name against the URL', async () => {
    const r = await h.req('PUT', `${W}/x`, widget('y'));
    expect(r.status).toBe(400);
    expect(r.json.message).toBe('the name of the object (y) does not match the name on the URL (x)');
  });

  it('serves the scale subresource', async () => {
    await h.req('POST', W, widget('sc', { replicas: 2 }));
    const g = await h.req('GET', `${W}/sc/scale`);
    expect(g.json).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 2 },
      status: { replicas: 0 },
    });
    const p = await h.req('PUT', `${W}/sc/scale`, { ...g.json, spec: { replicas: 5 } });
    expect(p.status).toBe(200);
    expect((await h.req('GET', `${W}/sc`)).json.spec.replicas).toBe(5);
  });
});

describe('patch', () => {
  it('refuses strategic merge patch for custom resources with 415', async () => {
    await h.req('POST', W, widget('p'));
    const r = await h.req(
      'PATCH',
      `${W}/p`,
      { spec: { color: 'x' } },
      { 'content-type': 'application/strategic-merge-patch+json' },
    );
    expect(r.status).toBe(415);
    expect(r.json.reason).toBe('UnsupportedMediaType');
    expect(r.json.message).toBe(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
  });
});

describe('delete', () => {
  it('keeps an object with finalizers, marking it, and removes it when they go', async () => {
    const c = (await h.req('POST', W, widget('d', {}, { finalizers: ['example.com/keep'] }))).json;
    const r = await h.req('DELETE', `${W}/d`);
    expect(r.status).toBe(200);
    expect(r.json.metadata.deletionTimestamp).toBeTruthy();
    expect(r.json.metadata.deletionGracePeriodSeconds).toBe(0);
    const cur = (await h.req('GET', `${W}/d`)).json;
    const u = await h.req('PUT', `${W}/d`, { ...cur, metadata: { ...cur.metadata, finalizers: [] } });
    expect(u.status).toBe(200);
    expect((await h.req('GET', `${W}/d`)).status).toBe(404);
    expect(c.metadata.uid).toBeTruthy();
  });

  it('checks preconditions and answers a Success Status', async () => {
    const c = (await h.req('POST', W, widget('e'))).json;
    const bad = await h.req('DELETE', `${W}/e`, { preconditions: { uid: 'other' } });
    expect(bad.status).toBe(409);
    expect(bad.json.message).toBe(
      `Operation cannot be fulfilled on widgets.example.com "e": Precondition failed: UID in precondition: other, UID in object meta: ${c.metadata.uid}`,
    );
    const ok = await h.req('DELETE', `${W}/e`, { preconditions: { uid: c.metadata.uid } });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'e', group: 'example.com', kind: 'widgets', uid: c.metadata.uid },
    });
  });

  it('collects dependents in the background and orphans them on request', async () => {
    const owner = (await h.req('POST', W, widget('owner'))).json;
    const ref = { apiVersion: 'example.com/v1', kind: 'Widget', name: 'owner', uid: owner.metadata.uid };
    await h.req('POST', W, widget('dep', {}, { ownerReferences: [ref] }));
    await h.req('DELETE', `${W}/owner`);
    expect((await h.req('GET', `${W}/dep`)).status).toBe(404);

    const owner2 = (await h.req('POST', W, widget('owner2'))).json;
    await h.req(
      'POST',
      W,
      widget('dep2', {}, { ownerReferences: [{ ...ref, name: 'owner2', uid: owner2.metadata.uid }] }),
    );
    const r = await h.req('DELETE', `${W}/owner2?propagationPolicy=Orphan`);
    expect(r.status).toBe(200);
    expect((await h.req('GET', `${W}/owner2`)).status).toBe(404);
    const dep2 = await h.req('GET', `${W}/dep2`);
    expect(dep2.status).toBe(200);
    expect(dep2.json.metadata.ownerReferences ?? []).toEqual([]);
  });

  it('keeps a dependent whose other owner is host-backed (not the virtual store’s to judge)', async () => {
    const owner = (await h.req('POST', W, widget('v-owner'))).json;
    const refs = [
      { apiVersion: 'example.com/v1', kind: 'Widget', name: 'v-owner', uid: owner.metadata.uid },
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: '3d5c1a52-0000-4000-8000-000000000001' },
    ];
    await h.req('POST', W, widget('mixed', {}, { ownerReferences: refs }));
    await h.req('DELETE', `${W}/v-owner`);
    const dep = await h.req('GET', `${W}/mixed`);
    expect(dep.status).toBe(200);
    expect(dep.json.metadata.ownerReferences).toEqual([refs[1]]);
  });

  it('deletes a selected collection', async () => {
    await h.req('POST', W, widget('c1', {}, { labels: { k: 'v' } }));
    await h.req('POST', W, widget('c2'));
    const r = await h.req('DELETE', `${W}?labelSelector=k%3Dv`);
    expect(r.status).toBe(200);
    expect(r.json.items.map((i: any) => i.metadata.name)).toEqual(['c1']);
    expect((await h.req('GET', W)).json.items.map((i: any) => i.metadata.name)).toEqual(['c2']);
  });
});
