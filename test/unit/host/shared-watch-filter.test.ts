// What a tenant's watch or list served from the shared host watch shows of the cached host objects.
import { describe, expect, it } from 'vitest';
import { parseFieldSelector } from '../../../src/api/field-selector.js';
import { parseLabelSelector } from '../../../src/api/labels.js';
import { tenantFilter } from '../../../src/host/shared-watch-filter.js';
import type { CachedItem } from '../../../src/hostwatch/types.js';
import { NamespaceMap } from '../../../src/rewrite/namespace-translator.js';

const map = new NamespaceMap('t1', new Map([['web', 't1-web']]), 1, 'uid-1');
const item = (name: string, labels: Record<string, string> = {}, ns = 't1-web'): CachedItem => {
  const object = { metadata: { name, namespace: ns, labels } };
  return { ns, name, object, value: object };
};
const filter = (labels = '', fields = '') =>
  tenantFilter({ labels: parseLabelSelector(labels), fields: parseFieldSelector(fields) }, map);

describe('shared watch tenant filter', () => {
  it('never shows kplex’s hidden objects', () => {
    expect(filter()(item('ca', { 'kplex.io/hidden': 'true' }))).toBe(false);
    expect(filter('!x')(item('ca', { 'kplex.io/hidden': 'true' }))).toBe(false);
    expect(filter()(item('cm'))).toBe(true);
  });

  it('judges label selectors without kplex’s labels', () => {
    const o = item('cm', { app: 'web', 'kplex.io/tenant': 't1' });
    expect(filter('app=web')(o)).toBe(true);
    expect(filter('kplex.io/tenant=t1')(o)).toBe(false);
    expect(filter('kplex.io/tenant')(o)).toBe(false);
    expect(filter('!kplex.io/tenant')(o)).toBe(true);
  });

  it('judges metadata.namespace by the virtual name, never the host one', () => {
    expect(filter('', 'metadata.namespace=web')(item('cm'))).toBe(true);
    expect(filter('', 'metadata.namespace=t1-web')(item('cm'))).toBe(false);
    expect(filter('', 'metadata.name=cm,metadata.namespace!=other')(item('cm'))).toBe(true);
    expect(filter('', 'metadata.name=other')(item('cm'))).toBe(false);
  });
});
