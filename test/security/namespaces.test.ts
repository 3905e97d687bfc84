// Namespace mapping and tenant lifecycle: reserved tenant names, namespaces a tenant does not have,
// host names another tenant pre-creates, host namespaces kplex did not make, and a tenant deleted
// and created again under the same name (a tenant is its UID).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { apiClient } from '../helpers/api-client.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { kplexCli } from '../helpers/tenant-env.js';
import { attack, expectStatus, securityEnv, type SecurityEnv } from './harness.js';

const V = 'sec-ns-v'; // the victim
const X = 'sec-ns-v-b'; // an attacker whose name extends the victim's
const R = 'sec-ns-r'; // deleted and created again
const TENANTS = '/apis/kplex.io/v1alpha1/tenants';

type Obj = {
  metadata?: { name?: string; uid?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  items?: Obj[];
};

/** The host namespace names the previous kplex derived for (tenant, ns): guessable by anyone. */
function oldCandidates(tenant: string, ns: string): string[] {
  const readable = `${tenant}-${ns}`;
  const out = [readable];
  for (let attempt = 0; attempt < 3; attempt++) {
    const suffix = createHash('sha256').update(`${tenant}\0${ns}\0${attempt}`).digest('hex').slice(0, 10);
    out.push(`${readable.slice(0, 63 - suffix.length - 1).replace(/-+$/, '')}-${suffix}`);
  }
  return out;
}

async function waitFor(what: string, ok: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`${what}: not after ${ms / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('security: namespaces and tenant lifecycle', () => {
  let s: SecurityEnv;
  let v: HostClient;

  const hostNamespacesOf = async (tenant: string): Promise<Obj[]> =>
    (
      await s.hostApi.request<Obj>(
        'GET',
        `/api/v1/namespaces?labelSelector=${encodeURIComponent(`kplex.io/tenant=${tenant}`)}`,
      )
    ).body.items ?? [];

  beforeAll(async () => {
    s = await securityEnv([V, X]);
    v = s.api[V]!;
  });
  afterAll(async () => s?.close());

  for (const name of ['kplex', 'kube', 'default', 'kplex-none', 'kube-public']) {
    attack('namespaces', `kplex tenant create refuses the reserved tenant name ${name}`, async () => {
      expect(() => kplexCli(['tenant', 'create', name, '--host-kubeconfig', s.host.kubeconfig])).toThrow(
        /reserved/,
      );
    });
  }

  attack(
    'namespaces',
    'the Tenant CRD refuses reserved names created on the host directly (kplex, kplex-x, kube-x)',
    async () => {
      for (const name of ['kplex', 'kplex-none', 'kube-evil', 'system']) {
        const r = await s.hostApi.request('POST', TENANTS, {
          apiVersion: 'kplex.io/v1alpha1',
          kind: 'Tenant',
          metadata: { name },
          spec: {},
        });
        expectStatus(r, 422, 'Invalid');
        expect(JSON.stringify(r.body)).toContain('reserved');
      }
      const long = await s.hostApi.request('POST', TENANTS, {
        apiVersion: 'kplex.io/v1alpha1',
        kind: 'Tenant',
        metadata: { name: 'x'.repeat(41) },
        spec: {},
      });
      expectStatus(long, 422, 'Invalid');
    },
  );

  attack(
    'namespaces',
    'no tenant host namespace can take a kplex- name (placeholders and kplex-system stay unclaimable)',
    async () => {
      kubectlOk(s.kc[V]!, ['create', 'namespace', 'none-0123456789abcdef']);
      kubectlOk(s.kc[V]!, ['create', 'configmap', 'c', '-n', 'none-0123456789abcdef']);
      for (const t of [V, X])
        for (const ns of await hostNamespacesOf(t)) expect(ns.metadata?.name).not.toMatch(/^kplex-/);
    },
  );

  attack(
    'namespaces',
    'GET in a namespace the tenant does not have: kplex answers 404 and creates nothing',
    async () => {
      const before = (await hostNamespacesOf(V)).length;
      const r = await v.request('GET', '/api/v1/namespaces/does-not-exist/configmaps/x');
      expectStatus(r, 404, 'NotFound');
      expect((r.body as { message: string }).message).toBe('configmaps "x" not found');
      const sec = await v.request('GET', '/api/v1/namespaces/does-not-exist/secrets/x');
      expectStatus(sec, 404, 'NotFound');
      const logs = await v.request('GET', '/api/v1/namespaces/does-not-exist/pods/p/log');
      expectStatus(logs, 404, 'NotFound');
      expect((await hostNamespacesOf(V)).length).toBe(before);
    },
  );

  attack(
    'namespaces',
    'LIST in a namespace the tenant does not have is empty, with the virtual namespace in nothing',
    async () => {
      for (const res of ['configmaps', 'secrets', 'pods', 'events', 'serviceaccounts']) {
        const r = await v.request<{ kind: string; items: unknown[] }>(
          'GET',
          `/api/v1/namespaces/nope-${res}/${res}`,
        );
        expect(r.status).toBe(200);
        expect(r.body.items).toEqual([]);
      }
    },
  );

  attack('namespaces', 'WATCH in a namespace the tenant does not have delivers nothing', async () => {
    const r = await v.request<string>(
      'GET',
      '/api/v1/namespaces/nope-watch/configmaps?watch=1&timeoutSeconds=1',
    );
    expect(r.status).toBe(200);
    expect(String(r.body ?? '').trim()).toBe('');
  });

  attack(
    'namespaces',
    'writes into a namespace the tenant does not have: 404 namespaces "x" not found',
    async () => {
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
      const r = await v.request('POST', '/api/v1/namespaces/ghost/configmaps', cm);
      expectStatus(r, 404, 'NotFound');
      expect((r.body as { message: string }).message).toBe('namespaces "ghost" not found');
      const put = await v.request('PUT', '/api/v1/namespaces/ghost/configmaps/c', {
        ...cm,
        metadata: { name: 'c', namespace: 'ghost' },
      });
      expectStatus(put, 404, 'NotFound');
      expect(
        (await hostNamespacesOf(V)).some((n) => n.metadata?.labels?.['kplex.io/namespace'] === 'ghost'),
      ).toBe(false);
    },
  );

  attack(
    'namespaces',
    "objects planted by another tenant are never read as the victim's missing namespace",
    async () => {
      // The attacker fills its own namespaces with bait; the victim reads a namespace it does not have.
      kubectlOk(s.kc[X]!, ['create', 'namespace', 'none']);
      kubectlOk(s.kc[X]!, ['create', 'configmap', 'bait', '-n', 'none']);
      const r = await v.request<{ items: Obj[] }>('GET', '/api/v1/namespaces/b-none/configmaps');
      expect(r.body.items).toEqual([]);
      const all = await v.request<{ items: Obj[] }>('GET', '/api/v1/configmaps');
      expect(all.body.items.map((i) => i.metadata?.name)).not.toContain('bait');
    },
  );

  attack(
    'namespaces',
    "pre-creating the victim's readable and formerly hashed host names does not make its namespace unusable",
    async () => {
      // X = `${V}-b`: its namespace `c` is V's readable name for `b-c`; the hashed names were guessable.
      const names = oldCandidates(V, 'b-c');
      kubectlOk(s.kc[X]!, ['create', 'namespace', 'c']);
      for (const n of names.slice(1)) kubectlOk(s.kc[X]!, ['create', 'namespace', n.slice(X.length + 1)]);
      kubectlOk(s.kc[X]!, ['create', 'configmap', 'attacker', '-n', 'c']);
      for (const n of names)
        await waitFor(
          `host namespace ${n}`,
          async () => (await s.hostApi.request('GET', `/api/v1/namespaces/${n}`)).status === 200,
        );
      kubectlOk(s.kc[V]!, ['create', 'namespace', 'b-c']);
      kubectlOk(s.kc[V]!, ['create', 'configmap', 'mine', '-n', 'b-c']);
      const mine = await v.request<{ items: Obj[] }>('GET', '/api/v1/namespaces/b-c/configmaps');
      expect(mine.status).toBe(200);
      expect(mine.body.items.map((i) => i.metadata?.name)).toContain('mine');
      expect(mine.body.items.map((i) => i.metadata?.name)).not.toContain('attacker');
      const hostNs = (await hostNamespacesOf(V)).find(
        (n) => n.metadata?.labels?.['kplex.io/namespace'] === 'b-c',
      );
      expect(names).not.toContain(hostNs?.metadata?.name);
    },
  );

  attack(
    'namespaces',
    'kplex never adopts a host namespace it did not create for this tenant UID',
    async () => {
      // Planted by the host admin: unlabelled, and labelled as the victim's under another UID.
      const planted = (name: string, labels: Record<string, string>) =>
        s.hostApi.request('POST', '/api/v1/namespaces', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name, labels },
        });
      await planted(`${V}-adopt1`, {});
      await planted(`${V}-adopt2`, {
        'kplex.io/tenant': V,
        'kplex.io/namespace': 'adopt2',
        'kplex.io/tenant-uid': 'not-the-uid',
        'app.kubernetes.io/managed-by': 'kplex',
      });
      for (const n of ['adopt1', 'adopt2']) {
        await s.hostApi.request('POST', `/api/v1/namespaces/${V}-${n}/configmaps`, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'planted' },
        });
        kubectlOk(s.kc[V]!, ['create', 'namespace', n]);
        kubectlOk(s.kc[V]!, ['create', 'configmap', 'own', '-n', n]);
        const l = await v.request<{ items: Obj[] }>('GET', `/api/v1/namespaces/${n}/configmaps`);
        expect(l.body.items.map((i) => i.metadata?.name)).not.toContain('planted');
        const h = (await hostNamespacesOf(V)).find(
          (ns) =>
            ns.metadata?.labels?.['kplex.io/namespace'] === n &&
            ns.metadata.labels['kplex.io/tenant-uid'] !== 'not-the-uid',
        );
        expect(h?.metadata?.name).not.toBe(`${V}-${n}`);
      }
    },
  );

  attack('namespaces', "every host namespace kplex makes names the tenant's UID", async () => {
    const uid = ((await s.hostApi.request<Obj>('GET', `${TENANTS}/${V}`)).body.metadata?.uid ?? '') as string;
    const mine = (await hostNamespacesOf(V)).filter(
      (n) =>
        n.metadata?.labels?.['app.kubernetes.io/managed-by'] === 'kplex' &&
        n.metadata.labels['kplex.io/tenant-uid'] !== 'not-the-uid',
    );
    expect(mine.length).toBeGreaterThan(0);
    for (const n of mine) expect(n.metadata?.labels?.['kplex.io/tenant-uid']).toBe(uid);
  });

  describe('a tenant deleted and created again under its name', () => {
    let oldKc: string;
    let oldCertKc: string;
    let oldUid: string;
    let oldHostNs: string;

    beforeAll(async () => {
      // env.tenant() rewrites the same kubeconfig file for the new tenant: keep the old one aside.
      oldKc = path.join(s.env.dataDir, `${R}-old.kubeconfig`);
      writeFileSync(oldKc, readFileSync(await s.env.tenant(R)), { mode: 0o600 });
      oldUid = ((await s.hostApi.request<Obj>('GET', `${TENANTS}/${R}`)).body.metadata?.uid ?? '') as string;
      const cert = kplexCli([
        'kubeconfig',
        R,
        '--client-cert',
        '--data-dir',
        s.env.dataDir,
        '--host-kubeconfig',
        s.host.kubeconfig,
        '--server',
        s.env.kplex.url,
        '--user',
        'certuser',
        '--group',
        'system:masters',
      ]);
      oldCertKc = path.join(s.env.dataDir, `${R}-old-cert.kubeconfig`);
      writeFileSync(oldCertKc, cert, { mode: 0o600 });
      kubectlOk(oldCertKc, ['get', 'namespaces']);
      kubectlOk(oldKc, ['create', 'namespace', 'app']);
      kubectlOk(oldKc, ['create', 'secret', 'generic', 'old-secret', '-n', 'app', '--from-literal=k=v']);
      kubectlOk(oldKc, ['create', 'clusterrole', 'old-role', '--verb=get', '--resource=pods']);
      // A finalizer keeps the old host namespace Terminating after the delete.
      kubectlOk(oldKc, ['create', 'configmap', 'held', '-n', 'app']);
      kubectlOk(oldKc, [
        'patch',
        'configmap',
        'held',
        '-n',
        'app',
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":["example.com/hold"]}}',
      ]);
      oldHostNs =
        (await hostNamespacesOf(R)).find((n) => n.metadata?.labels?.['kplex.io/namespace'] === 'app')
          ?.metadata?.name ?? '';
      expect(oldHostNs).not.toBe('');
      kplexCli(['tenant', 'delete', R, '--host-kubeconfig', s.host.kubeconfig]);
      await waitFor('old host namespace terminating', async () => {
        const r = await s.hostApi.request<Obj>('GET', `/api/v1/namespaces/${oldHostNs}`);
        return r.status === 200 && !!r.body.metadata?.deletionTimestamp;
      });
      await s.env.tenant(R);
    }, 180_000);

    afterAll(async () => {
      // release the old host namespace
      await s.hostApi.request(
        'PATCH',
        `/api/v1/namespaces/${oldHostNs}/configmaps/held`,
        { metadata: { finalizers: null } },
        'application/merge-patch+json',
      );
    });

    attack('namespaces', 'the new tenant has another UID', async () => {
      const uid = (await s.hostApi.request<Obj>('GET', `${TENANTS}/${R}`)).body.metadata?.uid;
      expect(uid).toBeTruthy();
      expect(uid).not.toBe(oldUid);
    });

    attack(
      'namespaces',
      "the deleted tenant's token is refused by the new tenant of the same name",
      async () => {
        const r = kubectl(oldKc, ['get', 'namespaces']);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain('You must be logged in to the server');
      },
    );

    attack('namespaces', "the deleted tenant's client certificate is refused by the new tenant", async () => {
      const r = kubectl(oldCertKc, ['get', 'namespaces']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('You must be logged in to the server');
    });

    attack(
      'namespaces',
      "the new tenant's store starts empty: no virtual object of the old one",
      async () => {
        const kc = await s.env.tenant(R);
        expect(kubectl(kc, ['get', 'clusterrole', 'old-role']).code).not.toBe(0);
        expect(kubectlOk(kc, ['get', 'namespaces', '-o', 'name'])).not.toContain('namespace/app');
      },
    );

    attack(
      'namespaces',
      "the new tenant never sees the old tenant's Terminating host namespace or its Secret",
      async () => {
        const kc = await s.env.tenant(R);
        kubectlOk(kc, ['create', 'namespace', 'app']);
        const api = await apiClient(kc);
        try {
          const secrets = await api.request<{ items: Obj[] }>('GET', '/api/v1/namespaces/app/secrets');
          expect(secrets.status).toBe(200);
          expect(secrets.body.items.map((i) => i.metadata?.name)).not.toContain('old-secret');
          const got = await api.request('GET', '/api/v1/namespaces/app/secrets/old-secret');
          expectStatus(got, 404, 'NotFound');
          const all = await api.request<{ items: Obj[] }>('GET', '/api/v1/configmaps');
          expect(all.body.items.map((i) => i.metadata?.name)).not.toContain('held');
        } finally {
          await api.close();
        }
        const now = (await hostNamespacesOf(R)).filter(
          (n) => n.metadata?.labels?.['kplex.io/namespace'] === 'app' && !n.metadata.deletionTimestamp,
        );
        expect(now.map((n) => n.metadata?.name)).not.toContain(oldHostNs);
      },
    );

    attack('namespaces', "the deleted tenant's client CA Secret is gone", async () => {
      const r = await s.hostApi.request(
        'GET',
        `/api/v1/namespaces/kplex-system/secrets/kplex-client-ca-${oldUid}`,
      );
      expect(r.status).toBe(404);
    });

    attack('namespaces', 'a kubeconfig minted for the old UID explicitly is refused', async () => {
      const kc = kplexCli([
        'kubeconfig',
        R,
        '--tenant-uid',
        oldUid,
        '--data-dir',
        s.env.dataDir,
        '--server',
        s.env.kplex.url,
        '--group',
        'system:masters',
      ]);
      const file = path.join(s.env.dataDir, `${R}-olduid.kubeconfig`);
      writeFileSync(file, kc, { mode: 0o600 });
      expect(kubectl(file, ['get', 'namespaces']).stderr).toContain('You must be logged in to the server');
      expect(readFileSync(file, 'utf8')).toContain('token:');
    });
  });
});
