// Shared helpers for the store tests: real database files in throw-away directories.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { KubeObject } from '../../../src/api/object.js';
import { SqliteTenantStore, type SqliteTenantStoreOptions } from '../../../src/store/sqlite-tenant-store.js';
import type { ObjectKey } from '../../../src/store/types.js';

const dirs: string[] = [];
const stores: SqliteTenantStore[] = [];

afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temp directory removed after the test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kplex-store-'));
  dirs.push(d);
  return d;
}

/** A store on a fresh file (or on `path`), closed after the test. */
export function openStore(
  opts: SqliteTenantStoreOptions = {},
  path = join(tempDir(), 't.db'),
): SqliteTenantStore {
  const s = new SqliteTenantStore('t', path, opts);
  stores.push(s);
  return s;
}

export const cm = (namespace: string, name: string): ObjectKey => ({
  group: '',
  resource: 'configmaps',
  namespace,
  name,
});
export const crd = (name: string): ObjectKey => ({
  group: 'apiextensions.k8s.io',
  resource: 'customresourcedefinitions',
  namespace: '',
  name,
});

export function configMap(key: ObjectKey, data: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: key.name, namespace: key.namespace },
    data,
  };
}

/** Runs `fn` and returns what it threw (fails the test when nothing is thrown). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
