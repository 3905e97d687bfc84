// A store whose process may no longer write it (a sharded replica past its Lease's renew
// deadline) refuses every write before anything is written; reads go on.
import { describe, expect, it } from 'vitest';
import { cm, configMap, openStore } from './helpers.js';

describe('SqliteTenantStore write fence', () => {
  it('refuses writes while `writable` says so, with its error, and writes again after', () => {
    let fenced: Error | undefined;
    const asked: string[] = [];
    const s = openStore({
      writable: (tenant) => {
        asked.push(tenant);
        return fenced;
      },
    });
    const a = cm('default', 'a');
    const created = s.create(a, configMap(a, { x: '1' }));
    fenced = new Error('lease lapsed');
    const b = cm('default', 'b');
    expect(() => s.create(b, configMap(b, { x: '1' }))).toThrow('lease lapsed');
    expect(() => s.update(a, { ...created.object, data: { x: '2' } }, created.rv)).toThrow('lease lapsed');
    expect(() => s.delete(a, created.rv)).toThrow('lease lapsed');
    expect(s.get(a)?.object.data).toEqual({ x: '1' });
    expect(s.get(b)).toBeUndefined();
    expect(s.currentRV()).toBe(created.rv);
    fenced = undefined;
    expect(s.create(b, configMap(b, { x: '1' })).rv).toBe(created.rv + 1);
    expect(new Set(asked)).toEqual(new Set(['t']));
  });
});
