// The tenant's webhook configurations are re-read only when the tenant's store changed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebhookConfigurations } from '../../../src/admission/webhooks/configurations.js';
import { SqliteTenantStore } from '../../../src/store/sqlite-tenant-store.js';

const GROUP = 'admissionregistration.k8s.io';
let store: SqliteTenantStore;

const put = (name: string): void =>
  void store.create(
    { group: GROUP, resource: 'validatingwebhookconfigurations', namespace: '', name },
    {
      apiVersion: `${GROUP}/v1`,
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name },
      webhooks: [{ name: `${name}.example.com` }],
    },
  );

beforeEach(() => {
  store = new SqliteTenantStore('t1', join(mkdtempSync(join(tmpdir(), 'kplex-whc-')), 't1.db'), {
    changeLogRetention: 50,
  });
});
afterEach(() => store.close());

describe('WebhookConfigurations', () => {
  it('reads no version while nothing of the tenant was written, and sees a configuration written since', () => {
    const configs = new WebhookConfigurations(() => store);
    put('b');
    expect(configs.hooks('validating').map((h) => h.uid)).toEqual(['b/0']);
    const versions = vi.spyOn(store, 'lastChangeRV');
    expect(configs.hooks('validating').map((h) => h.uid)).toEqual(['b/0']);
    expect(versions).not.toHaveBeenCalled();
    put('a');
    expect(configs.hooks('validating').map((h) => h.uid)).toEqual(['a/0', 'b/0']);
    expect(configs.hooks('mutating')).toEqual([]);
    versions.mockRestore();
  });
});
