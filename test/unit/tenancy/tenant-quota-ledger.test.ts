// The tenant quota's ledger on a host that refuses kplex cluster-wide lists (a least-privilege
// deploy): usage counted from per-namespace lists, a namespace whose binding lags retried, the
// quota enforced across namespaces, and a stop that ends a request waiting for the lists.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isStatusError } from '../../../src/api/status.js';
import { HostClient } from '../../../src/hostapi/host-client.js';
import { DEFAULT_POLICY, type TenantPolicy } from '../../../src/limits/tenant-policy.js';
import { createLogger } from '../../../src/log/logger.js';
import { LABEL_MANAGED_BY, LABEL_TENANT_UID } from '../../../src/rewrite/namespace-translator.js';
import { TenantQuotaLedger } from '../../../src/tenancy/tenant-quota-ledger.js';

const UID = 'u1';
const hostNs = (name: string) => ({
  metadata: { name, labels: { [LABEL_MANAGED_BY]: 'kplex', [LABEL_TENANT_UID]: UID } },
});
const pod = (ns: string, name: string) => ({ metadata: { namespace: ns, name }, spec: { containers: [] } });
const list = (items: unknown[]) => ({ status: 200, body: { metadata: { resourceVersion: '5' }, items } });

/** A host answering lists from `answer` (GET paths) and holding every watch open until aborted. */
function fakeHost(answer: (path: string) => { status: number; body?: unknown }) {
  const paths: string[] = [];
  const watches = new Set<PassThrough>();
  const host = Object.assign(Object.create(HostClient.prototype) as HostClient, {
    origin: 'https://host.invalid',
    basePath: '',
    headers: () => ({}),
    request: async (_method: string, path: string) => {
      paths.push(path);
      return { headers: {}, ...answer(path) };
    },
    dispatcher: {
      request: async (o: { signal: AbortSignal }) => {
        const body = Object.assign(new PassThrough(), { dump: async () => {} });
        watches.add(body);
        o.signal.addEventListener('abort', () => {
          watches.delete(body);
          body.destroy();
        });
        return { statusCode: 200, body };
      },
    },
  });
  return { host, paths, watches };
}

const policy = (pods: string): TenantPolicy => ({ ...DEFAULT_POLICY, quota: { pods } });

describe('tenant quota ledger without cluster-wide lists', () => {
  it('counts pods per host namespace, retries a namespace whose binding lags, and enforces across namespaces', async () => {
    let lagging = 2;
    const { host, paths, watches } = fakeHost((path) => {
      if (path.startsWith('/api/v1/namespaces?')) return list([hostNs('h1'), hostNs('h2')]);
      if (/^\/api\/v1\/(pods|services|persistentvolumeclaims)$/.test(path)) return { status: 403 };
      if (path === '/api/v1/namespaces/h1/pods') return list([pod('h1', 'a'), pod('h1', 'b')]);
      if (path === '/api/v1/namespaces/h2/pods')
        return lagging-- > 0 ? { status: 403 } : list([pod('h2', 'c')]);
      return list([]);
    });
    const ledger = new TenantQuotaLedger(host, () => policy('4'), createLogger('silent'));
    try {
      const figures = await ledger.figures(UID);
      expect(figures.used['pods']).toBe(3000n);
      expect(paths.filter((p) => p === '/api/v1/namespaces/h2/pods')).toHaveLength(3);
      const req = {
        uid: UID,
        kind: 'pods' as const,
        hostNamespace: 'h2',
        object: pod('h2', 'd'),
        dryRun: false,
      };
      await ledger.reserve({ ...req, name: 'd' });
      const refused = await ledger
        .reserve({ ...req, hostNamespace: 'h1', name: 'e' })
        .catch((e: unknown) => e);
      expect(isStatusError(refused) && refused.status.message).toMatch(
        /^pods "e" is forbidden: exceeded quota: tenant-quota\.kplex\.io, requested: pods=1, used: pods=4, limited: pods=4$/,
      );
    } finally {
      ledger.stop();
    }
    expect(watches.size).toBe(0);
  });

  it('stop ends a request waiting for lists the host never gives, with the apiserver not-ready 403', async () => {
    const { host } = fakeHost((path) =>
      path.startsWith('/api/v1/namespaces?') ? list([hostNs('h1')]) : { status: 403 },
    );
    const ledger = new TenantQuotaLedger(host, () => policy('4'), createLogger('silent'));
    const waiting = ledger
      .reserve({
        uid: UID,
        kind: 'pods',
        hostNamespace: 'h1',
        name: 'p',
        object: pod('h1', 'p'),
        dryRun: false,
      })
      .catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    ledger.stop();
    const err = await waiting;
    expect(isStatusError(err) && err.code).toBe(403);
    expect(isStatusError(err) && err.status.message).toBe(
      'pods "p" is forbidden: not yet ready to handle request',
    );
  });
});
