// The admission chain: plugins in order over one AdmissionAttributes, request checks before object
// checks, and the one attributes builder both write paths use.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseRequestInfo } from '../../../src/api/request-info.js';
import { admissionAttributes, type AdmissionAttributes } from '../../../src/admission/attributes.js';
import { AdmissionChain, type AdmissionPlugin } from '../../../src/admission/chain.js';
import { namespaceLifecycle } from '../../../src/admission/namespace-lifecycle.js';
import type { ResourceInfo } from '../../../src/resources/types.js';
import { SqliteTenantStore } from '../../../src/store/sqlite-tenant-store.js';

const configmaps: ResourceInfo = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
  kind: 'ConfigMap',
  listKind: 'ConfigMapList',
  singular: 'configmap',
  namespaced: true,
  verbs: ['create'],
  placement: 'host',
  storageVersion: true,
};
const namespaces: ResourceInfo = {
  ...configmaps,
  resource: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
  placement: 'virtual',
};
const alice = { username: 'alice', groups: ['system:authenticated'] };

function attrs(
  path: string,
  method: string,
  row: ResourceInfo,
  object: Record<string, unknown> | null = null,
  extra: Partial<Parameters<typeof admissionAttributes>[0]> = {},
): AdmissionAttributes {
  return admissionAttributes({
    row,
    info: parseRequestInfo(method, path),
    user: alice,
    operation: 'CREATE',
    object,
    oldObject: null,
    dryRun: false,
    ...extra,
  });
}

let dir: string;
let store: SqliteTenantStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kplex-chain-'));
  store = new SqliteTenantStore('t1', join(dir, 't1.db'), { changeLogRetention: 50 });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('admission attributes', () => {
  it('names the namespace of namespaced objects, a Namespace itself, and nothing for other cluster objects', () => {
    const cm = attrs('/api/v1/namespaces/dev/configmaps', 'POST', configmaps, { metadata: { name: 'x' } });
    expect([cm.namespace, cm.name, cm.options]).toEqual([
      'dev',
      'x',
      { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    ]);
    const ns = attrs('/api/v1/namespaces', 'POST', namespaces, { metadata: { name: 'dev' } });
    expect([ns.namespace, ns.name]).toEqual(['dev', 'dev']);
    const dry = attrs('/api/v1/namespaces/dev/configmaps/x', 'PUT', configmaps, null, {
      operation: 'UPDATE',
      dryRun: true,
      fieldManager: 'me',
      optionsKind: 'UpdateOptions',
    });
    expect(dry.options).toEqual({
      kind: 'UpdateOptions',
      apiVersion: 'meta.k8s.io/v1',
      dryRun: ['All'],
      fieldManager: 'me',
    });
  });
});

describe('admission chain', () => {
  it('runs request checks before object checks, each plugin only where it handles the request, in order', async () => {
    const seen: string[] = [];
    const plugin = (name: string, handles: boolean): AdmissionPlugin => ({
      name,
      handles: () => handles,
      validateRequest: () => void seen.push(`${name}:request`),
      validate: async () => (seen.push(`${name}:objects`), [`${name} warns`]),
    });
    const chain = new AdmissionChain([plugin('a', true), plugin('b', false), plugin('c', true)]);
    const a = attrs('/api/v1/namespaces/dev/configmaps', 'POST', configmaps);
    expect(await chain.admit(a)).toEqual(['a warns', 'c warns']);
    expect(seen).toEqual(['a:request', 'c:request', 'a:objects', 'c:objects']);
    expect(new AdmissionChain([plugin('b', false)]).wantsObjects(a)).toBe(false);
  });

  it('reads a live namespace once per store version, and again after any write', () => {
    const chain = new AdmissionChain([namespaceLifecycle(() => store)]);
    const create = attrs('/api/v1/namespaces/dev/configmaps', 'POST', configmaps, {
      metadata: { name: 'x' },
    });
    const key = { group: '', resource: 'namespaces', namespace: '', name: 'dev' };
    store.create(key, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev' } });
    const reads = vi.spyOn(store, 'get');
    chain.admitRequest(create);
    chain.admitRequest(create);
    expect(reads).toHaveBeenCalledTimes(1);
    store.delete(key);
    expect(() => chain.admitRequest(create)).toThrow(
      expect.objectContaining({ status: expect.objectContaining({ code: 404 }) }),
    );
    expect(reads).toHaveBeenCalledTimes(2);
    reads.mockRestore();
  });

  it('refuses content in a missing namespace (404) and in a terminating one (403 NamespaceTerminating)', async () => {
    const chain = new AdmissionChain([namespaceLifecycle(() => store)]);
    const create = attrs('/api/v1/namespaces/dev/configmaps', 'POST', configmaps, {
      metadata: { name: 'x' },
    });
    expect(() => chain.admitRequest(create)).toThrow(
      expect.objectContaining({ status: expect.objectContaining({ code: 404 }) }),
    );
    const key = { group: '', resource: 'namespaces', namespace: '', name: 'dev' };
    store.create(key, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev' } });
    expect(await chain.admit(create)).toEqual([]);
    store.update(key, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'dev', deletionTimestamp: '2026-01-01T00:00:00Z' },
    });
    let refused: { status: { code: number; details?: { causes?: { reason: string }[] } } } | undefined;
    try {
      chain.admitRequest(create);
    } catch (err) {
      refused = err as typeof refused;
    }
    expect(refused?.status.code).toBe(403);
    expect(refused?.status.details?.causes?.[0]?.reason).toBe('NamespaceTerminating');
    // Updates, deletes and Namespaces themselves are not its business.
    expect(chain.wantsObjects(create)).toBe(false);
    expect(() => chain.admitRequest({ ...create, operation: 'UPDATE' })).not.toThrow();
    expect(() =>
      chain.admitRequest(attrs('/api/v1/namespaces', 'POST', namespaces, { metadata: { name: 'new' } })),
    ).not.toThrow();
  });
});
