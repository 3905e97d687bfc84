// ExternalName attacks on the rule that lets a tenant name a Service of its OWN namespaces
// (`<svc>.<ns>.svc.cluster.local`, rewritten to its host namespace): another tenant's namespace by
// its host or virtual name, host namespaces, the tenant's own host namespace written directly, a
// placeholder, namespaces not (yet) the tenant's, upper-case and trailing-dot variants, other
// shapes of cluster names, and every write form (create, PUT, merge, JSON and apply patches, dry
// run). Each checks the apiserver-style refusal and that the host kept nothing of it.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { unownedName } from '../../src/rewrite/namespace-translator.js';
import { attack, expectStatus, hostNamespaceOf, securityEnv, type SecurityEnv } from './harness.js';

const A = 'xn-a';
const B = 'xn-b';
const NS = 'front';
const DB = 'back';
const ONLY_B = 'vault';
const MERGE = 'application/merge-patch+json';
const JSONPATCH = 'application/json-patch+json';
const APPLY = 'application/apply-patch+yaml';
const CLUSTER_REFUSAL = "a name of the cluster's domain resolves to the host's services";

type Obj = Record<string, unknown>;
const ext = (name: string, externalName: string): Obj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { type: 'ExternalName', externalName },
});

describe('security: ExternalName to a Service of the tenant', () => {
  let s: SecurityEnv;
  let api: HostClient;
  const host: Record<string, string> = {};
  const base = `/api/v1/namespaces/${NS}/services`;
  const onHost = (name: string) =>
    s.hostApi.request<{ spec?: Obj }>('GET', `/api/v1/namespaces/${host['A/front']}/services/${name}`);
  const hostNames = () => Object.values(host);
  /** A 403 naming the field and value as the tenant wrote them, no host namespace in it. */
  const refused = async (res: Promise<{ status: number; body: unknown }>, name: string, value: string) => {
    const r = await res;
    expectStatus(r, 403, 'Forbidden');
    const msg = (r.body as { message: string }).message;
    expect(msg).toBe(
      `services "${name}" is forbidden: spec.externalName: ${JSON.stringify(value)} is not permitted for tenant services: ${CLUSTER_REFUSAL}`,
    );
    for (const h of hostNames()) if (!value.includes(h)) expect(msg).not.toContain(h);
  };
  const gone = async (name: string) => expect((await onHost(name)).status).toBe(404);
  /** A valid ExternalName to fall back on: the attacks change it. */
  const valid = async (name: string) => {
    const r = await api.request('POST', base, ext(name, `db.${DB}.svc.cluster.local`));
    expect(r.status).toBe(201);
  };
  const hostExternalName = async (name: string) => (await onHost(name)).body.spec?.['externalName'];

  beforeAll(async () => {
    s = await securityEnv([A, B]);
    api = s.api[A]!;
    const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    for (const [t, n] of [
      [A, NS],
      [A, DB],
      [B, NS],
      [B, DB],
      [B, ONLY_B],
    ] as const) {
      expect((await s.api[t]!.request('POST', '/api/v1/namespaces', ns(n))).status).toBe(201);
      host[`${t === A ? 'A' : 'B'}/${n}`] = await hostNamespaceOf(s.hostApi, t, n);
    }
  });
  afterAll(async () => {
    await s?.close();
  });

  /** Names of namespaces the tenant does not have (by description: host names are known in beforeAll). */
  const FOREIGN: [what: string, value: () => string][] = [
    ["another tenant's host namespace", () => `db.${host['B/back']}.svc.cluster.local`],
    ["another tenant's host namespace, absolute", () => `db.${host['B/vault']}.svc.cluster.local.`],
    ["another tenant's virtual namespace the tenant lacks", () => `db.${ONLY_B}.svc.cluster.local`],
    ['the host kube-system namespace', () => 'kube-dns.kube-system.svc.cluster.local'],
    ['the host kube-system namespace, absolute', () => 'kube-dns.kube-system.svc.cluster.local.'],
    ["the host's kubernetes Service", () => 'kubernetes.default.svc.cluster.local.'],
    ["the tenant's own host namespace written directly", () => `db.${host['A/back']}.svc.cluster.local`],
    [
      "another tenant's host namespace in upper case",
      () => `db.${host['B/back']!.toUpperCase()}.svc.cluster.local`,
    ],
    ["the tenant's own namespace in upper case", () => `db.${DB.toUpperCase()}.svc.cluster.local`],
    ['a kplex placeholder namespace', () => `db.${unownedName(A, 'nowhere')}.svc.cluster.local`],
    ['a namespace nobody has', () => 'db.nowhere.svc.cluster.local'],
    ["a pod name in the tenant's namespace", () => `10-0-0-1.${DB}.pod.cluster.local`],
    ["a headless pod's name in the tenant's namespace", () => `db-0.db.${DB}.svc.cluster.local`],
    ["the tenant's namespace itself", () => `${DB}.svc.cluster.local`],
  ];
  FOREIGN.forEach(([what, value], i) =>
    attack('bodies', `ExternalName naming ${what}`, async () => {
      const name = `c${i}`;
      await refused(api.request('POST', base, ext(name, value())), name, value());
      await gone(name);
    }),
  );

  attack('bodies', "ExternalName naming kube-system in upper case: the host's 422, as before", async () => {
    // The host validates before kplex's policy (which judges the dry run's object), as an apiserver
    // validates before its validating admission.
    const value = 'KUBE-DNS.KUBE-SYSTEM.SVC.CLUSTER.LOCAL.';
    const r = await api.request('POST', base, ext('uc', value));
    expectStatus(r, 422, 'Invalid');
    expect((r.body as { message: string }).message).toContain('spec.externalName: Invalid value');
    await gone('uc');
  });

  attack('bodies', 'relative names into the search path stay refused with their own message', async () => {
    for (const value of [`db.${DB}`, `db.${DB}.svc`, 'db']) {
      const r = await api.request('POST', base, ext('rel', value));
      expectStatus(r, 403, 'Forbidden');
      expect((r.body as { message: string }).message).toContain('a relative name completed by a resolver');
    }
    await gone('rel');
  });

  attack('bodies', 'a dry run naming another tenant is refused alike', async () => {
    const value = `db.${host['B/back']}.svc.cluster.local`;
    await refused(api.request('POST', `${base}?dryRun=All`, ext('dry', value)), 'dry', value);
  });

  attack('bodies', "merge patch from the tenant's own namespace to another tenant's", async () => {
    await valid('mp');
    const value = `db.${host['B/back']}.svc.cluster.local`;
    await refused(api.request('PATCH', `${base}/mp`, { spec: { externalName: value } }, MERGE), 'mp', value);
    expect(await hostExternalName('mp')).toBe(`db.${host['A/back']}.svc.cluster.local`);
  });

  attack('bodies', 'JSON patch replacing the name with kube-system', async () => {
    await valid('jp');
    const value = 'kube-dns.kube-system.svc.cluster.local';
    const patch = [{ op: 'replace', path: '/spec/externalName', value }];
    await refused(api.request('PATCH', `${base}/jp`, patch, JSONPATCH), 'jp', value);
    expect(await hostExternalName('jp')).toBe(`db.${host['A/back']}.svc.cluster.local`);
  });

  attack('bodies', "server-side apply naming the tenant's own host namespace directly", async () => {
    await valid('ap');
    const value = `db.${host['A/back']}.svc.cluster.local.`;
    await refused(
      api.request('PATCH', `${base}/ap?fieldManager=x&force=true`, ext('ap', value), APPLY),
      'ap',
      value,
    );
    expect(await hostExternalName('ap')).toBe(`db.${host['A/back']}.svc.cluster.local`);
  });

  attack('bodies', 'PUT of the read object with another tenant’s virtual namespace', async () => {
    await valid('put');
    const cur = await api.request<Obj & { spec: Obj }>('GET', `${base}/put`);
    const value = `db.${ONLY_B}.svc.cluster.local`;
    cur.body.spec['externalName'] = value;
    await refused(api.request('PUT', `${base}/put`, cur.body), 'put', value);
    expect(await hostExternalName('put')).toBe(`db.${host['A/back']}.svc.cluster.local`);
  });

  attack('bodies', 'a NodePort Service switched to ExternalName into kube-system', async () => {
    const cip = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'sw' },
      spec: { ports: [{ port: 80 }] },
    };
    expect((await api.request('POST', base, cip)).status).toBe(201);
    const value = 'kube-dns.kube-system.svc.cluster.local';
    await refused(
      api.request('PATCH', `${base}/sw`, { spec: { type: 'ExternalName', externalName: value } }, MERGE),
      'sw',
      value,
    );
    expect((await onHost('sw')).body.spec?.['type']).toBe('ClusterIP');
  });

  for (const value of ['kubernetes.default.svc.cluster.local.', 'kube-dns.kube-system.svc.cluster.local'])
    attack('bodies', `a ClusterIP Service carrying ${value} switched to ExternalName`, async () => {
      const name = `pre${value.length}`;
      const cip = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name },
        spec: { ports: [{ port: 80 }], externalName: value },
      };
      const made = await api.request('POST', base, cip);
      // The host may refuse the field on a ClusterIP Service; if it takes it, the switch must not pass.
      if (made.status === 201)
        await refused(
          api.request('PATCH', `${base}/${name}`, { spec: { type: 'ExternalName' } }, MERGE),
          name,
          value,
        );
      else expect(made.status).toBe(422);
      expect((await onHost(name)).body.spec?.['type']).not.toBe('ExternalName');
    });

  attack('bodies', 'a namespace the tenant creates later: refused until it is the tenant’s', async () => {
    const value = 'db.later.svc.cluster.local';
    await refused(api.request('POST', base, ext('later', value)), 'later', value);
    await gone('later');
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'later' } };
    expect((await api.request('POST', '/api/v1/namespaces', ns)).status).toBe(201);
    const hostLater = await hostNamespaceOf(s.hostApi, A, 'later');
    const r = await api.request<{ spec: Obj }>('POST', base, ext('later', value));
    expect(r.status).toBe(201);
    expect(r.body.spec['externalName']).toBe(value);
    expect(await hostExternalName('later')).toBe(`db.${hostLater}.svc.cluster.local`);
  });

  attack(
    'bodies',
    "an upper-case Service label of the tenant's namespace: the host's 422, in tenant names",
    async () => {
      const value = `DB.${DB}.svc.cluster.local`;
      const r = await api.request('POST', base, ext('upper', value));
      expectStatus(r, 422, 'Invalid');
      const msg = (r.body as { message: string }).message;
      expect(msg).toContain(`spec.externalName: Invalid value: "${value}"`);
      for (const h of hostNames()) expect(msg).not.toContain(h);
      await gone('upper');
    },
  );

  attack('leaks', 'reads of a tenant-namespace ExternalName never show a host namespace', async () => {
    await valid('rd');
    const one = await api.request('GET', `${base}/rd`);
    const list = await api.request('GET', `/api/v1/services`);
    const answer = await api.request('PATCH', `${base}/rd`, { metadata: { labels: { a: 'b' } } }, MERGE);
    for (const r of [one, list, answer]) {
      expect(r.status).toBe(200);
      const text = JSON.stringify(r.body);
      expect(text).toContain(`"externalName":"db.${DB}.svc.cluster.local"`);
      for (const h of hostNames()) expect(text).not.toContain(`.${h}.`);
    }
  });

  attack('namespaces', "the same name from tenant B reaches B's host namespace, not A's", async () => {
    const value = `db.${DB}.svc.cluster.local`;
    const r = await s.api[B]!.request('POST', base, ext('mine', value));
    expect(r.status).toBe(201);
    const h = await s.hostApi.request<{ spec: Obj }>(
      'GET',
      `/api/v1/namespaces/${host['B/front']}/services/mine`,
    );
    expect(h.body.spec['externalName']).toBe(`db.${host['B/back']}.svc.cluster.local`);
  });
});
