import { describe, expect, it } from 'vitest';
import { BookmarkMerge, INITIAL_END } from '../../../src/host/bookmark-merge.js';

const end = (rv: string) => ({ resourceVersion: rv, annotations: { [INITIAL_END]: 'true' } });

describe('merged bookmarks of several host watches', () => {
  it('sends no bookmark of a watch-list before every stream ended its initial events, then one with the smallest version', () => {
    const m = new BookmarkMerge(2, true);
    expect(m.observe(0, 'ADDED', { resourceVersion: '10' })).toBeUndefined();
    expect(m.observe(1, 'ADDED', { resourceVersion: '12' })).toBeUndefined();
    // Stream 0 ended its initial events: every stream has progress, but stream 1 has not ended.
    expect(m.observe(0, 'BOOKMARK', end('15'))).toBeUndefined();
    expect(m.observe(1, 'BOOKMARK', end('14'))).toEqual(end('14'));
    // Afterwards progress bookmarks go out when the minimum advances, without the annotation.
    expect(m.observe(1, 'BOOKMARK', { resourceVersion: '20' })).toEqual({ resourceVersion: '15' });
    expect(m.observe(1, 'BOOKMARK', { resourceVersion: '21' })).toBeUndefined();
  });

  it("keeps the host's list blueprint on the merged end bookmark", () => {
    const m = new BookmarkMerge(2, true);
    const withBlueprint = (rv: string) => ({
      resourceVersion: rv,
      annotations: { [INITIAL_END]: 'true', 'kubernetes.io/initial-events-list-blueprint': 'e30K' },
    });
    expect(m.observe(0, 'BOOKMARK', withBlueprint('15'))).toBeUndefined();
    expect(m.observe(1, 'BOOKMARK', withBlueprint('14'))).toEqual(withBlueprint('14'));
  });

  it('forwards progress bookmarks of a plain watch once every stream has a version, never going back', () => {
    const m = new BookmarkMerge(2, false);
    expect(m.observe(0, 'BOOKMARK', { resourceVersion: '5' })).toBeUndefined();
    expect(m.observe(1, 'BOOKMARK', { resourceVersion: '7' })).toEqual({ resourceVersion: '5' });
    expect(m.observe(0, 'BOOKMARK', { resourceVersion: '4' })).toBeUndefined();
  });

  it('counts a stream joined late as past its initial events', () => {
    const m = new BookmarkMerge(1, true);
    const late = m.addStream();
    m.observe(late, 'ADDED', { resourceVersion: '30' });
    expect(m.observe(0, 'BOOKMARK', end('25'))).toEqual(end('25'));
  });

  it('ignores the resourceVersion of ERROR events', () => {
    const m = new BookmarkMerge(2, false);
    m.observe(0, 'ERROR', { resourceVersion: '99' });
    expect(m.observe(1, 'BOOKMARK', { resourceVersion: '7' })).toBeUndefined();
  });
});
