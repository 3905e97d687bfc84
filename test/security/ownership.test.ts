// [bodies] Ownership across the boundary: a tenant forging kplex's ownership keys (the
// `kplex.io/virtual-owned` label and the `kplex.io/owner-<hash>` annotations that hold references
// to virtual owners, rewrite/virtual-owners.ts) through every write form, to make kplex delete an
// object when a virtual owner goes, or to see or select the keys. And references across tenants:
// one tenant's owner deletion never reaches another tenant's host namespaces.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { attack, securityEnv, type SecurityEnv } from './harness.js';
import { hostNamespaceOf, sleep } from './raw-scan.js';

const A = 'own-a';
const B = 'own-b';
const GROUP = 'samplecontroller.k8s.io';
const FOOS = `/apis/${GROUP}/v1alpha1/namespaces/default/foos`;
const SECRETS = '/api/v1/namespaces/default/secrets';
const LABEL = 'kplex.io/virtual-owned';
const ownerKey = (uid: string): string =>
  `kplex.io/owner-${createHash('sha256').update(uid).digest('hex').slice(0, 40)}`;

const fooCRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: {
    name: `foos.${GROUP}`,
    annotations: { 'api-approved.kubernetes.io': 'unapproved, experimental-only' },
  },
  spec: {
    group: GROUP,
    names: { kind: 'Foo', plural: 'foos', singular: 'foo', listKind: 'FooList' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

type Meta = {
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { uid: string }[];
  managedFields?: unknown[];
};
type Obj = { metadata: Meta; items?: Obj[] };

const fooRef = (name: string, uid: string) => ({
  apiVersion: `${GROUP}/v1alpha1`,
  kind: 'Foo',
  name,
  uid,
});

/** A forged copy of what kplex keeps on a host object owned by `uid`. */
const forgedMeta = (uid: string, name: string) => ({
  labels: { [LABEL]: 'true' },
  annotations: { [ownerKey(uid)]: JSON.stringify({ i: 0, ref: fooRef(name, uid) }) },
});

describe('ownership keys', () => {
  let s: SecurityEnv;
  let hostA = '';
  let hostB = '';

  const api = (t: string): HostClient => s.api[t]!;
  const newFoo = async (t: string, name: string): Promise<string> => {
    const r = await api(t).request<Obj>('POST', FOOS, {
      apiVersion: `${GROUP}/v1alpha1`,
      kind: 'Foo',
      metadata: { name },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.metadata.uid!;
  };
  const newSecret = async (t: string, name: string, meta: Record<string, unknown> = {}): Promise<void> => {
    const r = await api(t).request('POST', SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, ...meta },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  };
  const hostSecret = async (hostNs: string, name: string): Promise<Obj | undefined> => {
    const r = await s.hostApi.request<Obj>('GET', `/api/v1/namespaces/${hostNs}/secrets/${name}`);
    return r.status === 200 ? r.body : undefined;
  };
  /** kplex keys a host object carries. */
  const kplexKeys = (o: Obj | undefined): string[] =>
    Object.keys({ ...o?.metadata.labels, ...o?.metadata.annotations }).filter((k) =>
      k.startsWith('kplex.io/'),
    );
  const until = async (what: string, check: () => Promise<boolean>): Promise<void> => {
    for (let i = 0; i < 150; i++) {
      if (await check()) return;
      await sleep(200);
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  /**
   * Deletes `owner` of tenant `t` and waits until its real dependent `witness` is gone: the
   * owner's host job has run, so whatever it left alone was left alone for good.
   */
  const deleteOwnerAndWait = async (t: string, hostNs: string, owner: string, witness: string) => {
    const r = await api(t).request('DELETE', `${FOOS}/${owner}`);
    expect(r.status).toBe(200);
    await until(`${witness} to go with ${owner}`, async () => !(await hostSecret(hostNs, witness)));
  };
  const witness = async (t: string, name: string, owner: string, uid: string): Promise<void> =>
    newSecret(t, name, { ownerReferences: [fooRef(owner, uid)] });

  beforeAll(async () => {
    s = await securityEnv([A, B]);
    for (const t of [A, B]) {
      expect(
        (await api(t).request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', fooCRD))
          .status,
      ).toBe(201);
      await until('the Foo CRD', async () => (await api(t).request('GET', FOOS)).status === 200);
      await newSecret(t, 'first');
    }
    hostA = (await hostNamespaceOf(s.hostApi, A, 'default'))!;
    hostB = (await hostNamespaceOf(s.hostApi, B, 'default'))!;
    expect(hostA && hostB).toBeTruthy();
  }, 120_000);
  afterAll(async () => s?.close());

  attack(
    'bodies',
    "create with forged ownership label and annotation: stripped, and the owner's deletion spares the object",
    async () => {
      const uid = await newFoo(A, 'f-create');
      await witness(A, 'w-create', 'f-create', uid);
      await newSecret(A, 'forged-create', forgedMeta(uid, 'f-create'));
      expect(kplexKeys(await hostSecret(hostA, 'forged-create'))).toEqual([]);
      await deleteOwnerAndWait(A, hostA, 'f-create', 'w-create');
      expect(await hostSecret(hostA, 'forged-create')).toBeDefined();
    },
  );

  for (const [type, body] of [
    ['application/merge-patch+json', (uid: string) => ({ metadata: forgedMeta(uid, 'f') })],
    ['application/strategic-merge-patch+json', (uid: string) => ({ metadata: forgedMeta(uid, 'f') })],
    [
      'application/json-patch+json',
      (uid: string) => [
        { op: 'add', path: '/metadata/labels', value: forgedMeta(uid, 'f').labels },
        { op: 'add', path: '/metadata/annotations', value: forgedMeta(uid, 'f').annotations },
      ],
    ],
    [
      'application/apply-patch+yaml',
      (uid: string) => ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'PLACEHOLDER', ...forgedMeta(uid, 'f') },
      }),
    ],
  ] as const) {
    const short = type.split('/')[1]!.split('-')[0]!;
    attack(
      'bodies',
      `${short} patch forging the ownership keys: ignored, the object survives the owner`,
      async () => {
        const owner = `f-${short}`;
        const name = `forged-${short}`;
        const uid = await newFoo(A, owner);
        await witness(A, `w-${short}`, owner, uid);
        await newSecret(A, name);
        let b: unknown = body(uid);
        if (!Array.isArray(b))
          b = JSON.parse(
            JSON.stringify(b)
              .replace('PLACEHOLDER', name)
              .replace(/"name":"f"/, `"name":"${owner}"`),
          );
        const q = type === 'application/apply-patch+yaml' ? '?fieldManager=attacker' : '';
        const r = await api(A).request('PATCH', `${SECRETS}/${name}${q}`, b, type);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(kplexKeys(await hostSecret(hostA, name))).toEqual([]);
        await deleteOwnerAndWait(A, hostA, owner, `w-${short}`);
        expect(await hostSecret(hostA, name)).toBeDefined();
      },
    );
  }

  attack('bodies', 'update (PUT) keeping forged keys: stripped', async () => {
    const uid = await newFoo(A, 'f-put');
    await newSecret(A, 'forged-put');
    const cur = await api(A).request<Obj>('GET', `${SECRETS}/forged-put`);
    Object.assign(cur.body.metadata, forgedMeta(uid, 'f-put'));
    const r = await api(A).request('PUT', `${SECRETS}/forged-put`, cur.body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(kplexKeys(await hostSecret(hostA, 'forged-put'))).toEqual([]);
  });

  attack(
    'bodies',
    'the ownership keys are not shown: get, list, managedFields after server-side apply',
    async () => {
      const uid = await newFoo(A, 'f-show');
      const cfg = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'shown', ownerReferences: [fooRef('f-show', uid)] },
      };
      const r = await api(A).request(
        'PATCH',
        `${SECRETS}/shown?fieldManager=m`,
        cfg,
        'application/apply-patch+yaml',
      );
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const onHost = await hostSecret(hostA, 'shown');
      expect(onHost?.metadata.labels?.[LABEL]).toBe('true');
      expect(onHost?.metadata.ownerReferences).toBeUndefined();
      const got = await api(A).request<Obj>('GET', `${SECRETS}/shown`);
      const text = JSON.stringify(got.body) + JSON.stringify((await api(A).request('GET', SECRETS)).body);
      expect(text).not.toContain('kplex.io');
      expect(got.body.metadata.ownerReferences).toEqual([fooRef('f-show', uid)]);
    },
  );

  attack(
    'bodies',
    'a label selector on the ownership label selects nothing (the keys cannot be probed)',
    async () => {
      const uid = await newFoo(A, 'f-sel');
      await witness(A, 'w-sel', 'f-sel', uid);
      const sel = (q: string) =>
        api(A).request<Obj>('GET', `${SECRETS}?labelSelector=${encodeURIComponent(q)}`);
      expect((await sel(`${LABEL}=true`)).body.items).toEqual([]);
      expect((await sel(LABEL)).body.items).toEqual([]);
      const all = (await api(A).request<Obj>('GET', SECRETS)).body.items!.length;
      expect((await sel(`!${LABEL}`)).body.items!.length).toBe(all);
    },
  );

  attack(
    'bodies',
    "a reference to another tenant's owner: that owner's deletion never reaches this tenant's objects",
    async () => {
      const victimUid = await newFoo(B, 'f-cross');
      await witness(B, 'w-cross', 'f-cross', victimUid);
      // A claims B's Foo as the owner of its own Secret, and B's own kind/uid on A's Secret.
      await newSecret(A, 'claims-b', { ownerReferences: [fooRef('f-cross', victimUid)] });
      expect((await hostSecret(hostA, 'claims-b'))?.metadata.labels?.[LABEL]).toBe('true');
      await deleteOwnerAndWait(B, hostB, 'f-cross', 'w-cross');
      expect(await hostSecret(hostA, 'claims-b')).toBeDefined();
    },
  );

  attack(
    'bodies',
    "deleting one's own owner never touches another tenant's dependents with the same uid claim",
    async () => {
      const uid = await newFoo(A, 'f-mine');
      await witness(A, 'w-mine', 'f-mine', uid);
      // B's Secret names A's Foo uid: A's deletion lists only A's host namespaces.
      await newSecret(B, 'names-a', { ownerReferences: [fooRef('f-mine', uid)] });
      await deleteOwnerAndWait(A, hostA, 'f-mine', 'w-mine');
      expect(await hostSecret(hostB, 'names-a')).toBeDefined();
    },
  );

  attack(
    'bodies',
    'Orphan deletion with a forged label on other objects changes only real dependents',
    async () => {
      const uid = await newFoo(A, 'f-orphan');
      await witness(A, 'w-orphan', 'f-orphan', uid);
      await newSecret(A, 'forged-orphan', forgedMeta(uid, 'f-orphan'));
      const r = await api(A).request('DELETE', `${FOOS}/f-orphan`, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        propagationPolicy: 'Orphan',
      });
      expect(r.status).toBe(200);
      await until(
        'the witness to lose its reference',
        async () => kplexKeys(await hostSecret(hostA, 'w-orphan')).length === 0,
      );
      expect(await hostSecret(hostA, 'w-orphan')).toBeDefined();
      expect(await hostSecret(hostA, 'forged-orphan')).toBeDefined();
    },
  );
});
