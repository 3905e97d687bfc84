// Which watches across namespaces the shared host watch serves, and what it leaves to the host.
import { describe, expect, it } from 'vitest';
import { sharedWatchPlan } from '../../../src/host/shared-watch-plan.js';

const plan = (q: string, kind: 'json' | 'table' | 'partial' | 'yaml' = 'json', gr = '/configmaps') =>
  sharedWatchPlan(gr, new URLSearchParams(q), { kind });

describe('shared watch plan', () => {
  it('serves a plain watch from the current state, and a resume from its version', () => {
    expect(plan('watch=1')).toMatchObject({ format: 'object', from: undefined, initialEventsEnd: false });
    expect(plan('watch=1&resourceVersion=0')).toMatchObject({ from: undefined });
    expect(plan('watch=1&resourceVersion=123&allowWatchBookmarks=true&timeoutSeconds=30')).toMatchObject({
      from: 123,
      bookmarks: true,
      timeoutSeconds: 30,
    });
  });

  it('keeps Table watches in the Table form, with the includeObject asked (Metadata by default)', () => {
    expect(plan('watch=1', 'table')).toMatchObject({ format: 'table', includeObject: 'Metadata' });
    expect(plan('watch=1&includeObject=None', 'table')).toMatchObject({ includeObject: 'None' });
    expect(plan('watch=1&includeObject=Bogus', 'table')).toBeUndefined();
  });

  it('serves a watch-list from a version, not the consistent one from ""', () => {
    expect(
      plan('watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=0'),
    ).toMatchObject({ initialEventsEnd: true, from: undefined });
    expect(
      plan('watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=77'),
    ).toMatchObject({ initialEventsEnd: true, from: 77 });
    expect(plan('watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan')).toBeUndefined();
    expect(plan('watch=1&sendInitialEvents=true&resourceVersion=0')).toBeUndefined();
    expect(plan('watch=1&resourceVersionMatch=Exact&resourceVersion=5')).toBeUndefined();
  });

  it('matches labels and metadata name/namespace in-process; other fields are the host’s', () => {
    expect(plan('watch=1&labelSelector=app%3Dweb,tier!%3Ddb')?.labels).toHaveLength(2);
    expect(plan('watch=1&fieldSelector=metadata.name%3Dx,metadata.namespace!%3Dy')?.fields).toHaveLength(2);
    expect(plan('watch=1&fieldSelector=spec.nodeName%3Dn1', 'json', '/pods')).toBeUndefined();
    expect(plan('watch=1&labelSelector=a%20in%20(b')).toBeUndefined(); // the host words the error
  });

  it('leaves odd versions, YAML and Secrets to the fan-out', () => {
    expect(plan('watch=1&resourceVersion=abc')).toBeUndefined();
    expect(plan('watch=1&resourceVersion=-1')).toBeUndefined();
    expect(plan('watch=1&timeoutSeconds=x')).toBeUndefined();
    expect(plan('watch=1', 'yaml')).toBeUndefined();
    expect(plan('watch=1', 'json', '/secrets')).toBeUndefined();
  });
});
