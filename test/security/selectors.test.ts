// [selectors] Label and field selectors, continue tokens and resourceVersions chosen to reach
// another tenant's objects or the host's: every answer holds the attacker's objects only, or is
// the apiserver's refusal.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { attack, expectStatus, securityEnv, type SecurityEnv } from './harness.js';
import { Attacker, expectNoLeak, hostNamespaceOf, sleep } from './raw-scan.js';

const A = 'ss-a';
const B = 'ss-b';

interface Item {
  metadata: { name: string; namespace?: string; resourceVersion: string };
}
interface List {
  items: Item[];
  metadata: { continue?: string; resourceVersion: string };
}

describe('selectors, continue tokens and resourceVersions', () => {
  let s: SecurityEnv;
  let a: Attacker;
  let hostA = '';
  let hostB = '';
  let victimRV = '';

  const names = (l: unknown): string[] =>
    ((l as List).items ?? []).map((i) => `${i.metadata.namespace}/${i.metadata.name}`);
  /** Lists with `query` and asserts the answer holds no object of B (refusals are fine). */
  const onlyMine = async (path: string): Promise<string[]> => {
    const r = await a.raw('GET', path);
    if (r.status !== 200) {
      // The apiserver's own refusal: the same request straight to the host gets the same code.
      const host = await s.hostApi.request(
        'GET',
        path.replace(/^\/api\/v1\/namespaces\/default\//, `/api/v1/namespaces/${hostA}/`),
      );
      expect(r.status, r.text).toBe(host.status);
      return [];
    }
    const got = names(r.json).filter((n) => !n.endsWith('/kube-root-ca.crt'));
    expect(
      got.every((n) => !n.includes('victim')),
      `${path}: ${got.join(',')}`,
    ).toBe(true);
    return got;
  };

  beforeAll(async () => {
    s = await securityEnv([A, B]);
    a = new Attacker(s.api[A]!);
    const cm = (name: string, labels: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, labels },
    });
    for (let i = 0; i < 3; i++) {
      const r = await s.api[B]!.request<Item>(
        'POST',
        '/api/v1/namespaces/default/configmaps',
        cm(`victim-${i}`, { app: 'shared', team: 'b' }),
      );
      expect(r.status).toBe(201);
      victimRV = r.body.metadata.resourceVersion;
    }
    expect(
      (
        await s.api[A]!.request('POST', '/api/v1/namespaces', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'second' },
        })
      ).status,
    ).toBe(201);
    for (const ns of ['default', 'second'])
      for (let i = 0; i < 2; i++)
        expect(
          (
            await s.api[A]!.request(
              'POST',
              `/api/v1/namespaces/${ns}/configmaps`,
              cm(`mine-${i}`, { app: 'shared', team: 'a' }),
            )
          ).status,
        ).toBe(201);
    hostA = (await hostNamespaceOf(s.hostApi, A, 'default'))!;
    hostB = (await hostNamespaceOf(s.hostApi, B, 'default'))!;
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  attack('selectors', "label selectors naming kplex's own labels (equality and set-based)", async () => {
    for (const sel of [
      `kplex.io/tenant=${B}`,
      `kplex.io/tenant in (${B},${A})`,
      '!kplex.io/tenant',
      `kplex.io/tenant notin (${A})`,
      'kplex.io/namespace',
      `kplex.io/tenant-uid`,
    ]) {
      for (const path of [
        '/api/v1/configmaps',
        '/api/v1/namespaces/default/configmaps',
        '/api/v1/namespaces',
        '/api/v1/pods',
      ]) {
        await onlyMine(`${path}?labelSelector=${encodeURIComponent(sel)}`);
      }
    }
  });

  attack('selectors', "kplex's hidden labels on host objects cannot be probed by selectors", async () => {
    // What the pod syncer or kplex itself may put on a host object: hidden from the tenant.
    const r = await s.hostApi.request(
      'PATCH',
      `/api/v1/namespaces/${hostA}/configmaps/mine-0`,
      { metadata: { labels: { 'kplex.io/hidden': 'yes' } } },
      'application/merge-patch+json',
    );
    expect(r.status).toBe(200);
    const sel = (q: string) =>
      onlyMine(`/api/v1/namespaces/default/configmaps?labelSelector=${encodeURIComponent(q)}`);
    expect(await sel('kplex.io/hidden=yes')).toEqual([]);
    expect(await sel('kplex.io/hidden')).toEqual([]);
    expect(await sel('app=shared,kplex.io/hidden in (yes)')).toEqual([]);
    expect((await sel('!kplex.io/hidden,app=shared')).sort()).toEqual(['default/mine-0', 'default/mine-1']);
    expect((await sel('kplex.io/hidden notin (yes),app=shared')).sort()).toEqual([
      'default/mine-0',
      'default/mine-1',
    ]);
    expect((await a.raw('GET', '/api/v1/namespaces/default/configmaps/mine-0')).text).not.toContain(
      'kplex.io/hidden',
    );
  });

  attack(
    'selectors',
    "label selectors matching the other tenant's labels list only the attacker's objects",
    async () => {
      const got = await onlyMine(`/api/v1/configmaps?labelSelector=${encodeURIComponent('app=shared')}`);
      expect(got.sort()).toEqual(['default/mine-0', 'default/mine-1', 'second/mine-0', 'second/mine-1']);
      expect(await onlyMine(`/api/v1/configmaps?labelSelector=${encodeURIComponent('team=b')}`)).toEqual([]);
      expect(
        await onlyMine(`/api/v1/configmaps?labelSelector=${encodeURIComponent('team in (b),app')}`),
      ).toEqual([]);
    },
  );

  attack(
    'selectors',
    "field selectors naming host namespaces (the attacker's own and the other tenant's)",
    async () => {
      for (const sel of [
        `metadata.namespace=${hostB}`,
        `metadata.namespace==${hostB}`,
        `metadata.namespace=${hostA}`,
        `metadata.namespace!=default,metadata.namespace!=second`,
        `metadata.namespace=default,metadata.namespace=${hostB}`,
        `metadata.namespace=${hostB}\\,x`,
        ` metadata.namespace = ${hostB} `,
        'metadata.name=victim-0',
      ]) {
        expect(await onlyMine(`/api/v1/configmaps?fieldSelector=${encodeURIComponent(sel)}`), sel).toEqual(
          [],
        );
      }
      expect(
        await onlyMine(
          `/api/v1/configmaps?fieldSelector=${encodeURIComponent('metadata.namespace!=default')}`,
        ),
      ).toEqual(['second/mine-0', 'second/mine-1']);
    },
  );

  attack(
    'selectors',
    'event field selectors on involvedObject/regarding namespaces of another tenant',
    async () => {
      for (const sel of [
        `involvedObject.namespace=${hostB}`,
        `involvedObject.namespace!=default`,
        `regarding.namespace=${hostB}`,
      ]) {
        await onlyMine(`/api/v1/events?fieldSelector=${encodeURIComponent(sel)}`);
        await onlyMine(`/apis/events.k8s.io/v1/events?fieldSelector=${encodeURIComponent(sel)}`);
      }
    },
  );

  attack('selectors', 'forged, tampered and host-format continue tokens are refused', async () => {
    const page = (await a.raw('GET', '/api/v1/configmaps?limit=1')).json as List;
    const tok = page.metadata.continue!;
    expect(tok).toBeTruthy();
    const hostStyle = Buffer.from(
      JSON.stringify({ v: 'meta.k8s.io/v1', rv: Number(victimRV), start: `${hostB}/` }),
    ).toString('base64');
    for (const t of [hostStyle, tok.slice(0, -3) + 'AAA', 'A'.repeat(40), '', '%00', tok + tok]) {
      for (const path of ['/api/v1/configmaps', '/api/v1/namespaces/default/configmaps']) {
        const r = await a.raw('GET', `${path}?limit=1&continue=${encodeURIComponent(t)}`);
        if (t === '') continue;
        expectStatus(r, 400, 'BadRequest');
      }
    }
  });

  attack('selectors', "another tenant's valid continue token does not open for the attacker", async () => {
    const victimPage = (await s.api[B]!.request<List>('GET', '/api/v1/configmaps?limit=1')).body;
    const tok = victimPage.metadata.continue!;
    expect(tok).toBeTruthy();
    for (const path of ['/api/v1/configmaps', '/api/v1/namespaces/default/configmaps']) {
      const r = await a.raw('GET', `${path}?limit=1&continue=${encodeURIComponent(tok)}`);
      expectStatus(r, 400, 'BadRequest');
      expect(r.text).not.toContain('victim');
    }
  });

  attack(
    'selectors',
    'a continue token replayed after the list changed still pages only the attacker',
    async () => {
      const first = (await a.raw('GET', '/api/v1/configmaps?limit=2')).json as List;
      const tok = first.metadata.continue!;
      await s.api[B]!.request('POST', '/api/v1/namespaces/default/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'victim-late' },
      });
      for (let i = 0; i < 2; i++)
        await onlyMine(`/api/v1/configmaps?limit=2&continue=${encodeURIComponent(tok)}`);
      // A token of a single-namespace list used on the all-namespaces list and back.
      const nsTok = ((await a.raw('GET', '/api/v1/namespaces/default/configmaps?limit=1')).json as List)
        .metadata.continue!;
      await onlyMine(`/api/v1/configmaps?limit=1&continue=${encodeURIComponent(nsTok)}`);
      await onlyMine(`/api/v1/namespaces/second/configmaps?limit=1&continue=${encodeURIComponent(tok)}`);
    },
  );

  attack('selectors', "resourceVersion games: another tenant's versions, Exact, far future, 0", async () => {
    for (const q of [
      `resourceVersion=${victimRV}&resourceVersionMatch=Exact`,
      `resourceVersion=${victimRV}&resourceVersionMatch=NotOlderThan`,
      'resourceVersion=0',
      'resourceVersion=1&resourceVersionMatch=Exact',
      'resourceVersion=abc',
    ]) {
      await onlyMine(`/api/v1/configmaps?${q}`);
      await onlyMine(`/api/v1/namespaces/default/configmaps?${q}`);
    }
    const future = await a.raw(
      'GET',
      `/api/v1/namespaces/default/configmaps?resourceVersion=${Number(victimRV) + 1_000_000}&resourceVersionMatch=NotOlderThan`,
    );
    expect([504, 200]).toContain(future.status);
  });

  attack(
    'selectors',
    "watches from old resourceVersions and with the other tenant's labels see only the attacker",
    async () => {
      const watch = a.raw(
        'GET',
        `/api/v1/configmaps?watch=true&resourceVersion=${victimRV}&labelSelector=app%3Dshared`,
        { readMs: 2500 },
      );
      await sleep(500);
      await s.api[B]!.request('POST', '/api/v1/namespaces/default/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'victim-during', labels: { app: 'shared' } },
      });
      await s.api[A]!.request('POST', '/api/v1/namespaces/default/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'mine-during', labels: { app: 'shared' } },
      });
      const w = await watch;
      expect(w.text).toContain('mine-during');
      expect(w.text).not.toContain('victim');
      const w0 = await a.raw('GET', '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0', {
        readMs: 1000,
      });
      expect(w0.text).not.toContain('victim');
    },
  );

  attack(
    'selectors',
    "deletecollection with selectors matching the other tenant's objects deletes nothing of it",
    async () => {
      for (const path of [
        `/api/v1/namespaces/default/configmaps?labelSelector=team%3Db`,
        `/api/v1/namespaces/default/configmaps?fieldSelector=${encodeURIComponent(`metadata.namespace=${hostB}`)}`,
        `/api/v1/configmaps?labelSelector=team%3Db`,
        `/api/v1/namespaces/default/configmaps?labelSelector=team%3Db&dryRun=All`,
      ]) {
        const r = await a.raw('DELETE', path);
        expect([200, 404, 405], r.text).toContain(r.status);
        expect(r.text).not.toContain('victim');
      }
      const victims = await s.hostApi.request<List>(
        'GET',
        `/api/v1/namespaces/${hostB}/configmaps?labelSelector=team%3Db`,
      );
      expect(victims.body.items.length).toBeGreaterThanOrEqual(3);
    },
  );

  attack('selectors', 'no selector answer carried a host or other-tenant name', async () => {
    expectNoLeak(a, [hostA, hostB, B, 'victim', /kplex-[a-z0-9]/]);
  });
});
