import { describe, expect, it } from 'vitest';
import { StatusError } from '../../../src/api/status.js';
import { cm, configMap, crd, openStore, tempDir, thrown } from './helpers.js';
import { join } from 'node:path';

describe('SqliteTenantStore CRUD', () => {
  it('creates, reads, updates and deletes with a resourceVersion per write', () => {
    const s = openStore();
    const k = cm('default', 'a');
    const created = s.create(k, configMap(k, { x: '1' }));
    expect(created.rv).toBe(1);
    expect(created.object.metadata?.resourceVersion).toBe('1');
    expect(s.get(k)).toEqual({ key: k, rv: 1, object: created.object });

    const updated = s.update(k, { ...created.object, data: { x: '2' } }, 1);
    expect(updated.rv).toBe(2);
    expect(updated.object).toMatchObject({ data: { x: '2' }, metadata: { resourceVersion: '2', name: 'a' } });
    expect(s.get(k)?.object.data).toEqual({ x: '2' });

    const deleted = s.delete(k, 2);
    expect(deleted.rv).toBe(3);
    expect(deleted.object).toMatchObject({ data: { x: '2' }, metadata: { resourceVersion: '3' } });
    expect(s.get(k)).toBeUndefined();
    expect(s.currentRV()).toBe(3);
  });

  it('does not mutate the caller object and returns independent copies', () => {
    const s = openStore();
    const k = cm('default', 'a');
    const input = configMap(k, { x: '1' });
    const out = s.create(k, input);
    expect(input.metadata?.resourceVersion).toBeUndefined();
    (out.object.data as Record<string, string>).x = 'changed';
    expect(s.get(k)?.object.data).toEqual({ x: '1' });
  });

  it('creates metadata when the object has none', () => {
    const s = openStore();
    const out = s.create(crd('x'), { kind: 'CustomResourceDefinition' });
    expect(out.object.metadata).toEqual({ resourceVersion: '1' });
  });

  it('keeps keys apart by group, resource and namespace', () => {
    const s = openStore();
    s.create(cm('a', 'same'), configMap(cm('a', 'same')));
    s.create(cm('b', 'same'), configMap(cm('b', 'same')));
    s.create({ ...cm('a', 'same'), resource: 'secrets' }, {});
    s.create({ ...cm('a', 'same'), group: 'example.com' }, {});
    expect(s.currentRV()).toBe(4);
    expect(s.get(cm('a', 'same'))?.rv).toBe(1);
    expect(s.get(cm('b', 'same'))?.rv).toBe(2);
  });

  it('throws AlreadyExists on a duplicate create, without bumping the rv', () => {
    const s = openStore();
    s.create(cm('default', 'a'), configMap(cm('default', 'a')));
    const err = thrown(() => s.create(cm('default', 'a'), configMap(cm('default', 'a'))));
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).status).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'configmaps "a" already exists',
      details: { name: 'a', kind: 'configmaps' },
    });
    const err2 = thrown(() => s.create(crd('foos.example.com'), {}) && s.create(crd('foos.example.com'), {}));
    expect((err2 as StatusError).status.message).toBe(
      'customresourcedefinitions.apiextensions.k8s.io "foos.example.com" already exists',
    );
    expect(s.currentRV()).toBe(2);
  });

  it('throws NotFound on update and delete of a missing object', () => {
    const s = openStore();
    for (const op of [() => s.update(cm('ns', 'gone'), {}), () => s.delete(cm('ns', 'gone'))]) {
      const err = thrown(op) as StatusError;
      expect(err.status).toMatchObject({
        code: 404,
        reason: 'NotFound',
        message: 'configmaps "gone" not found',
      });
    }
    expect(s.currentRV()).toBe(0);
  });

  it('throws Conflict when the expected resourceVersion is stale', () => {
    const s = openStore();
    const k = cm('default', 'a');
    s.create(k, configMap(k));
    s.update(k, configMap(k, { v: '2' }), 1);
    for (const op of [() => s.update(k, configMap(k, { v: '3' }), 1), () => s.delete(k, 1)]) {
      const err = thrown(op) as StatusError;
      expect(err.status).toMatchObject({
        code: 409,
        reason: 'Conflict',
        message:
          'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again',
      });
    }
    expect(s.get(k)?.object.data).toEqual({ v: '2' });
    // Without an expected rv the write is unconditional.
    expect(s.update(k, configMap(k, { v: '4' })).rv).toBe(3);
  });

  it('keeps the resourceVersion monotonic across reopen, even when every object is gone', () => {
    const path = join(tempDir(), 'tenant.db');
    const s1 = openStore({}, path);
    const k = cm('default', 'a');
    s1.create(k, configMap(k));
    s1.delete(k);
    s1.close();
    const s2 = openStore({}, path);
    expect(s2.currentRV()).toBe(2);
    expect(s2.create(k, configMap(k)).rv).toBe(3);
    // The same store object reopens its handle after close().
    s2.close();
    expect(s2.isOpen).toBe(false);
    expect(s2.update(k, configMap(k)).rv).toBe(4);
  });
});

describe('SqliteTenantStore transactions', () => {
  it('commits all writes of a transaction together', () => {
    const s = openStore();
    const out = s.transaction(() => [s.create(cm('a', '1'), {}).rv, s.create(cm('a', '2'), {}).rv]);
    expect(out).toEqual([1, 2]);
    expect(s.currentRV()).toBe(2);
  });

  it('rolls back every write and the rv when the function throws', () => {
    const s = openStore();
    s.create(cm('a', 'kept'), {});
    expect(() =>
      s.transaction(() => {
        s.create(cm('a', 'x'), {});
        s.update(cm('a', 'kept'), { changed: true });
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(s.get(cm('a', 'x'))).toBeUndefined();
    expect(s.get(cm('a', 'kept'))?.object).toEqual({ metadata: { resourceVersion: '1' } });
    expect(s.currentRV()).toBe(1);
    expect(s.create(cm('a', 'y'), {}).rv).toBe(2);
  });

  it('nests: a failed inner transaction rolls back alone', () => {
    const s = openStore();
    const rv = s.transaction(() => {
      s.create(cm('a', 'outer1'), {});
      expect(() =>
        s.transaction(() => {
          s.create(cm('a', 'inner'), {});
          s.create(cm('a', 'outer1'), {}); // AlreadyExists
        }),
      ).toThrow(/already exists/);
      return s.create(cm('a', 'outer2'), {}).rv;
    });
    expect(rv).toBe(2);
    expect(s.get(cm('a', 'inner'))).toBeUndefined();
    expect(s.get(cm('a', 'outer2'))?.rv).toBe(2);
    expect(s.list({ group: '', resource: 'configmaps' }).items.map((i) => i.key.name)).toEqual([
      'outer1',
      'outer2',
    ]);
  });

  it('refuses async callbacks and rolls them back', () => {
    const s = openStore();
    expect(() => s.transaction(async () => s.create(cm('a', 'x'), {}))).toThrow(/synchronous/);
    expect(s.get(cm('a', 'x'))).toBeUndefined();
    expect(s.currentRV()).toBe(0);
  });
});
