import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, W, startHarness, widget } from './harness.js';
import { listBlueprint } from '../../../src/api/watch-list-blueprint.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  for (const [n, color, tier] of [
    ['a', 'red', 'web'],
    ['b', 'blue', 'db'],
    ['c', 'red', 'db'],
  ] as const) {
    await h.req('POST', W, widget(n, { color }, { labels: { tier } }));
  }
});
afterEach(async () => h.close());

const names = (j: any): string[] => j.items.map((i: any) => i.metadata.name);

describe('list', () => {
  it('filters by label (set-based) and field selectors', async () => {
    expect(
      names((await h.req('GET', `${W}?labelSelector=${encodeURIComponent('tier in (db),tier!=web')}`)).json),
    ).toEqual(['b', 'c']);
    expect(names((await h.req('GET', `${W}?labelSelector=!tier`)).json)).toEqual([]);
    expect(
      names((await h.req('GET', `${W}?fieldSelector=spec.color%3Dred,metadata.name!%3Da`)).json),
    ).toEqual(['c']);
    const bad = await h.req('GET', `${W}?fieldSelector=spec.size%3D1`);
    expect(bad.status).toBe(400);
    expect(bad.json.message).toBe('field label not supported: spec.size');
  });

  it('pages with limit/continue and remainingItemCount; a tampered token is 400', async () => {
    const p1 = (await h.req('GET', `${W}?limit=2`)).json;
    expect(names(p1)).toEqual(['a', 'b']);
    expect(p1.metadata.remainingItemCount).toBe(1);
    const token = JSON.parse(Buffer.from(p1.metadata.continue, 'base64url').toString());
    expect(token).toEqual({ v: 'meta.k8s.io/v1', rv: Number(p1.metadata.resourceVersion), start: 'b\u0000' });
    await h.req('POST', W, widget('d'));
    const p2 = (await h.req('GET', `${W}?limit=2&continue=${p1.metadata.continue}`)).json;
    expect(names(p2)).toEqual(['c']); // the snapshot of the first page: d is not in it
    expect(p2.metadata.continue).toBeUndefined();
    const tampered = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: 0, start: 'b' })).toString(
      'base64url',
    );
    const bad = await h.req('GET', `${W}?limit=2&continue=${tampered}`);
    expect(bad.status).toBe(400);
    expect(bad.json.message).toBe(
      'invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  });

  it('expires a continue token older than the change log with 410', async () => {
    const p1 = (await h.req('GET', `${W}?limit=1`)).json;
    for (let i = 0; i < 60; i++)
      await h.req('PUT', `${W}/a`, { ...(await h.req('GET', `${W}/a`)).json, spec: { color: `c${i}` } });
    const r = await h.req('GET', `${W}?limit=1&continue=${p1.metadata.continue}`);
    expect(r.status).toBe(410);
    expect(r.json.reason).toBe('Expired');
    expect(r.json.message).toMatch(
      /^The provided continue parameter is too old to display a consistent list result\./,
    );
  });

  it('validates resourceVersionMatch', async () => {
    const r = await h.req('GET', `${W}?resourceVersionMatch=Exact`);
    expect(r.status).toBe(422);
    expect(r.json.message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    );
    const exact0 = await h.req('GET', `${W}?resourceVersion=0&resourceVersionMatch=Exact`);
    expect(exact0.json.message).toContain(
      'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
    );
    const list = (await h.req('GET', W)).json;
    const rv = Number(list.metadata.resourceVersion);
    const ok = await h.req('GET', `${W}?resourceVersion=${rv}&resourceVersionMatch=Exact`);
    expect(ok.status).toBe(200);
    expect(ok.json.metadata.resourceVersion).toBe(String(rv));
    const future = await h.req('GET', `${W}?resourceVersion=${rv + 100}&resourceVersionMatch=NotOlderThan`);
    expect(future.status).toBe(504);
    expect(future.json.message).toBe(`Timeout: Too large resource version: ${rv + 100}, current: ${rv}`);
  });
});

describe('negotiation', () => {
  it('renders Table with the default columns and PartialObjectMetadataList', async () => {
    const t = await h.req('GET', W, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(t.json.kind).toBe('Table');
    expect(t.json.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Created At']);
    expect(t.json.rows[0].cells[0]).toBe('a');
    expect(t.json.rows[0].object.kind).toBe('PartialObjectMetadata');
    const none = await h.req('GET', `${W}?includeObject=None`, undefined, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    expect(none.json.rows[0].object).toBeNull();
    const p = await h.req('GET', W, undefined, {
      accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
    });
    expect(p.json.kind).toBe('PartialObjectMetadataList');
    expect(p.json.items[0].spec).toBeUndefined();
  });

  it('answers 406 to protobuf-only clients, as for custom resources', async () => {
    const r = await h.req('GET', W, undefined, { accept: 'application/vnd.kubernetes.protobuf' });
    expect(r.status).toBe(406);
    expect(r.json.message).toBe(
      'only the following media types are accepted: application/json, application/yaml',
    );
    const fallback = await h.req('GET', W, undefined, {
      accept: 'application/vnd.kubernetes.protobuf, application/json',
    });
    expect(fallback.status).toBe(200);
  });
});

/** Reads watch lines until `n` events or the stream ends. */
async function watchEvents(url: string, n: number): Promise<any[]> {
  const ac = new AbortController();
  const r = await fetch(url, { signal: ac.signal });
  expect(r.status).toBe(200);
  const reader = r.body!.getReader();
  const events: any[] = [];
  let buf = '';
  while (events.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += Buffer.from(value).toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
  }
  ac.abort();
  return events;
}

describe('watch', () => {
  it('streams changes after a resourceVersion, filtered by selector', async () => {
    const rv = (await h.req('GET', W)).json.metadata.resourceVersion;
    const p = watchEvents(`${h.url}${W}?watch=true&resourceVersion=${rv}&labelSelector=tier%3Ddb`, 2);
    await new Promise((r) => setTimeout(r, 50));
    await h.req('POST', W, widget('e', {}, { labels: { tier: 'web' } }));
    await h.req('POST', W, widget('f', {}, { labels: { tier: 'db' } }));
    await h.req('DELETE', `${W}/b`);
    const ev = await p;
    expect(ev.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'f'],
      ['DELETED', 'b'],
    ]);
  });

  it('sends initial events and the initial-events-end bookmark', async () => {
    const ev = await watchEvents(
      `${h.url}${W}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
      4,
    );
    expect(ev.slice(0, 3).map((e) => e.type)).toEqual(['ADDED', 'ADDED', 'ADDED']);
    expect(ev[3].type).toBe('BOOKMARK');
    expect(ev[3].object.metadata.annotations).toEqual({
      'k8s.io/initial-events-end': 'true',
      'kubernetes.io/initial-events-list-blueprint': listBlueprint({
        apiVersion: ev[0].object.apiVersion,
        kind: `${ev[0].object.kind}List`,
      }),
    });
  });

  it('reports a too-old resourceVersion as an ERROR event with 410', async () => {
    for (let i = 0; i < 60; i++)
      await h.req('PUT', `${W}/a`, { ...(await h.req('GET', `${W}/a`)).json, spec: { color: `c${i}` } });
    const ev = await watchEvents(`${h.url}${W}?watch=true&resourceVersion=1`, 1);
    expect(ev[0].type).toBe('ERROR');
    expect(ev[0].object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(ev[0].object.message).toMatch(/^too old resource version: 1 \(\d+\)$/);
  });

  it('ends at timeoutSeconds', async () => {
    const rv = (await h.req('GET', W)).json.metadata.resourceVersion;
    const start = Date.now();
    const ev = await watchEvents(`${h.url}${W}?watch=true&resourceVersion=${rv}&timeoutSeconds=1`, 100);
    expect(ev).toEqual([]);
    expect(Date.now() - start).toBeGreaterThanOrEqual(900);
  });
});
