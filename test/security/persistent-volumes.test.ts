// Tenants' own PersistentVolumes (host/persistent-volumes.ts): a PV is mounted by any pod that
// claims it, so its source is judged as the same volume in a pod would be (hostPath and local only
// at privileged, others only as the Tenant allows), and one tenant's volumes, names and claims
// never meet another's: same names side by side, no reading, writing, deleting or binding across.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { attack, expectStatus, hostNamespaceOf, securityEnv, type SecurityEnv } from './harness.js';
import { kubectlOk } from '../helpers/kubectl.js';

type Obj = Record<string, any>;

const A = 'spv-a';
const B = 'spv-b';
const PVS = '/api/v1/persistentvolumes';
const RUN = `${process.pid}`;

const pv = (
  name: string,
  source: Obj = { csi: { driver: 'd.example.com', volumeHandle: name } },
  spec: Obj = {},
): Obj => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name, labels: { run: RUN } },
  spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], ...source, ...spec },
});
const pvc = (name: string, spec: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});

describe('security: tenant PersistentVolumes', () => {
  let s: SecurityEnv;
  let a: HostClient;
  let b: HostClient;
  const hostPVs = async (): Promise<Obj[]> =>
    ((await s.hostApi.request<Obj>('GET', `${PVS}?labelSelector=run%3D${RUN}`)).body.items as Obj[]) ?? [];
  const hostNameOf = async (tenant: string, name: string): Promise<string> => {
    const all = await hostPVs();
    const found = all.find(
      (p) => p.metadata.labels['kplex.io/tenant'] === tenant && p.metadata.name.endsWith(`-${name}`),
    );
    if (!found) throw new Error(`no host PV of ${tenant}/${name}`);
    return found.metadata.name as string;
  };
  const refused = async (res: Promise<{ status: number; body: unknown }>, text: string): Promise<void> => {
    const r = await res;
    expectStatus(r, 403, 'Forbidden');
    expect((r.body as { message: string }).message).toContain(text);
  };

  beforeAll(async () => {
    s = await securityEnv([A, B]);
    a = s.api[A]!;
    b = s.api[B]!;
    // A may create CSI volumes; B keeps the defaults.
    kubectlOk(s.host.kubeconfig, [
      'patch',
      'tenant',
      A,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { policy: { allowedVolumeTypes: ['csi'] } } }),
    ]);
    for (const [t, c] of [
      [A, a],
      [B, b],
    ] as const) {
      await c.request(
        'POST',
        '/api/v1/namespaces/default/persistentvolumeclaims',
        pvc('probe', { storageClassName: 'x' }),
      );
      await hostNamespaceOf(s.hostApi, t, 'default');
    }
    // Wait until A's policy reached kplex (a CSI volume is accepted).
    for (let i = 0; i < 100; i++) {
      const r = await a.request('POST', `${PVS}?dryRun=All`, pv('probe'));
      if (r.status === 201) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    await s.hostApi.request('DELETE', `${PVS}?labelSelector=run%3D${RUN}`);
    await s?.close();
  });

  for (const [type, source] of [
    ['hostPath', { hostPath: { path: '/' } }],
    [
      'local',
      {
        local: { path: '/var/lib/kubelet' },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n'] }] },
            ],
          },
        },
      },
    ],
    ['nfs', { nfs: { server: '10.0.0.1', path: '/' } }],
    ['iscsi', { iscsi: { targetPortal: '10.0.0.1:3260', iqn: 'iqn.2001-04.com.example:storage', lun: 0 } }],
    ['rbd', { rbd: { monitors: ['10.0.0.1:6789'], image: 'i' } }],
  ] as const)
    attack(
      'bodies',
      `a ${type} PersistentVolume (around Pod Security through a claim) is refused`,
      async () => {
        await refused(
          a.request('POST', PVS, pv(`src-${type.toLowerCase()}`, source)),
          `spec.${type}: volume type ${type} is not permitted for this tenant's PersistentVolumes`,
        );
        expect((await hostPVs()).some((p) => p.metadata.name.endsWith(`src-${type.toLowerCase()}`))).toBe(
          false,
        );
      },
    );

  attack(
    'bodies',
    'a CSI PersistentVolume (an existing volume by its handle) is refused unless the Tenant allows csi',
    async () => {
      await refused(
        b.request('POST', PVS, pv('handle')),
        "the Tenant policy's allowedVolumeTypes must list csi",
      );
      expect((await a.request('POST', PVS, pv('handle'))).status).toBe(201);
    },
  );

  attack('bodies', 'a forged owner label names the writer, not another tenant', async () => {
    const uidB = (await s.hostApi.request<Obj>('GET', `/apis/kplex.io/v1alpha1/tenants/${B}`)).body.metadata
      .uid;
    const forged = pv('forged');
    forged.metadata.labels = { ...forged.metadata.labels, 'kplex.io/tenant-uid': uidB, 'kplex.io/tenant': B };
    expect((await a.request('POST', PVS, forged)).status).toBe(201);
    const onHost = (await hostPVs()).find((p) => p.metadata.name.endsWith('-forged'))!;
    expect(onHost.metadata.labels['kplex.io/tenant']).toBe(A);
    expect(onHost.metadata.labels['kplex.io/tenant-uid']).not.toBe(uidB);
    expect((await b.request('GET', `${PVS}/forged`)).status).toBe(404);
  });

  attack('namespaces', 'two tenants create a PersistentVolume of the same name: each its own', async () => {
    kubectlOk(s.host.kubeconfig, [
      'patch',
      'tenant',
      B,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { policy: { allowedVolumeTypes: ['csi'] } } }),
    ]);
    let rb = await b.request<Obj>('POST', PVS, pv('same'));
    for (let i = 0; i < 100 && rb.status === 403; i++) {
      await new Promise((r) => setTimeout(r, 100));
      rb = await b.request<Obj>('POST', PVS, pv('same'));
    }
    const ra = await a.request<Obj>('POST', PVS, pv('same'));
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect(ra.body.metadata.name).toBe('same');
    expect(ra.body.metadata.uid).not.toBe(rb.body.metadata.uid);
    const [ha, hb] = [await hostNameOf(A, 'same'), await hostNameOf(B, 'same')];
    expect(ha).not.toBe(hb);
    expect((await a.request<Obj>('GET', `${PVS}/same`)).body.metadata.uid).toBe(ra.body.metadata.uid);
  });

  attack(
    'leaks',
    "another tenant's volume is invisible by its name, its host name and a name selector",
    async () => {
      const hostA = await hostNameOf(A, 'handle');
      for (const path of [`${PVS}/handle`, `${PVS}/${hostA}`])
        expect((await b.request('GET', path)).status).toBe(404);
      const list = await b.request<Obj>('GET', `${PVS}?fieldSelector=metadata.name%3D${hostA}`);
      expect(list.body.items).toEqual([]);
      const all = JSON.stringify((await b.request<Obj>('GET', PVS)).body);
      expect(all).not.toContain('handle');
      expect(all).not.toContain(`${A}-`);
    },
  );

  attack(
    'rbac',
    "another tenant's volume cannot be patched, replaced or deleted (its name or its host name)",
    async () => {
      const hostA = await hostNameOf(A, 'handle');
      for (const name of ['handle', hostA]) {
        expect(
          (
            await b.request(
              'PATCH',
              `${PVS}/${name}`,
              { metadata: { labels: { x: 'y' } } },
              'application/merge-patch+json',
            )
          ).status,
        ).toBe(404);
        expect(
          (
            await b.request(
              'PATCH',
              `${PVS}/${name}/status`,
              { status: { reason: 'x' } },
              'application/merge-patch+json',
            )
          ).status,
        ).toBe(404);
        expect((await b.request('DELETE', `${PVS}/${name}`)).status).toBe(404);
      }
      expect((await b.request('DELETE', `${PVS}?labelSelector=run%3D${RUN}`)).status).toBe(200);
      expect((await s.hostApi.request('GET', `${PVS}/${hostA}`)).status).toBe(200);
      expect((await a.request<Obj>('GET', `${PVS}/handle`)).body.metadata.labels).toEqual({ run: RUN });
    },
  );

  attack(
    'bodies',
    "a claim's volumeName of another tenant's volume (its name or host name) is refused",
    async () => {
      const hostA = await hostNameOf(A, 'handle');
      for (const name of ['handle', hostA])
        await refused(
          b.request(
            'POST',
            '/api/v1/namespaces/default/persistentvolumeclaims',
            pvc(`grab-${name.length}`, { volumeName: name, storageClassName: '' }),
          ),
          'is not one this tenant may claim',
        );
    },
  );

  attack(
    'bodies',
    "a volume's claimRef cannot reach another tenant's namespace (virtual or host name)",
    async () => {
      const hostNsB = await hostNamespaceOf(s.hostApi, B, 'default');
      const r = await a.request<Obj>(
        'POST',
        PVS,
        pv('prebound', undefined, { claimRef: { namespace: hostNsB, name: 'probe' } }),
      );
      expect(r.status).toBe(201);
      const onHost = (await hostPVs()).find((p) => p.metadata.name.endsWith('-prebound'))!;
      expect(onHost.spec.claimRef.namespace).not.toBe(hostNsB);
      expect(r.body.spec.claimRef.namespace).toBe(hostNsB); // read back as written: a name A does not have
    },
  );

  attack(
    'bodies',
    "the same class name (and no class) on two tenants' volumes and claims never meets on the host",
    async () => {
      const classed = await a.request('POST', PVS, pv('classed', undefined, { storageClassName: 'shared' }));
      expect(classed.status).toBe(201);
      expect((await a.request('POST', PVS, pv('classless'))).status).toBe(201);
      for (const [name, cls] of [
        ['shared-claim', 'shared'],
        ['none-claim', ''],
      ] as const)
        expect(
          (
            await b.request(
              'POST',
              '/api/v1/namespaces/default/persistentvolumeclaims',
              pvc(name, { storageClassName: cls }),
            )
          ).status,
        ).toBe(201);
      const hostNsB = await hostNamespaceOf(s.hostApi, B, 'default');
      const claims = (
        await s.hostApi.request<Obj>('GET', `/api/v1/namespaces/${hostNsB}/persistentvolumeclaims`)
      ).body.items as Obj[];
      const volumes = await hostPVs();
      const classOf = (list: Obj[], suffix: string) =>
        list.find((o) => o.metadata.name.endsWith(suffix))!.spec.storageClassName as string;
      expect(classOf(volumes, '-classed')).not.toBe(classOf(claims, 'shared-claim'));
      expect(classOf(volumes, '-classless')).not.toBe(classOf(claims, 'none-claim'));
      expect(classOf(claims, 'none-claim')).not.toBe('');
      // Each reads its own as written.
      expect(
        (await b.request<Obj>('GET', '/api/v1/namespaces/default/persistentvolumeclaims/none-claim')).body
          .spec.storageClassName,
      ).toBe('');
      expect((await a.request<Obj>('GET', `${PVS}/classed`)).body.spec.storageClassName).toBe('shared');
    },
  );

  attack(
    'leaks',
    'host PersistentVolumes not bound to the tenant stay hidden; one bound to its claim is read-only',
    async () => {
      const free = pv(`host-free-${RUN}`, { hostPath: { path: '/tmp/free' } });
      expect([201, 409]).toContain((await s.hostApi.request('POST', PVS, free)).status);
      expect((await a.request('GET', `${PVS}/host-free-${RUN}`)).status).toBe(404);
      expect(JSON.stringify((await a.request('GET', PVS)).body)).not.toContain('host-free');
      const hostNsA = await hostNamespaceOf(s.hostApi, A, 'default');
      const bound = pv(
        `host-bound-${RUN}`,
        { hostPath: { path: '/tmp/bound' } },
        { claimRef: { namespace: hostNsA, name: 'probe' } },
      );
      expect([201, 409]).toContain((await s.hostApi.request('POST', PVS, bound)).status);
      expect((await a.request<Obj>('GET', `${PVS}/host-bound-${RUN}`)).status).toBe(200);
      expectStatus(await a.request('DELETE', `${PVS}/host-bound-${RUN}`), 403, 'Forbidden');
      expectStatus(
        await a.request(
          'PATCH',
          `${PVS}/host-bound-${RUN}`,
          { metadata: { labels: { x: 'y' } } },
          'application/merge-patch+json',
        ),
        403,
        'Forbidden',
      );
      expect((await s.hostApi.request('GET', `${PVS}/host-bound-${RUN}`)).status).toBe(200);
      await s.hostApi.request('DELETE', `${PVS}/host-free-${RUN}`);
      await s.hostApi.request('DELETE', `${PVS}/host-bound-${RUN}`);
    },
  );

  attack(
    'malformed',
    'a PersistentVolume name past 253 characters with the tenant prefix still maps to one host name',
    async () => {
      const long = `l${'x'.repeat(240)}`;
      const r = await a.request<Obj>('POST', PVS, pv(long));
      expect(r.status).toBe(201);
      expect(r.body.metadata.name).toBe(long);
      expect((await a.request<Obj>('GET', `${PVS}/${long}`)).body.metadata.name).toBe(long);
      const onHost = (await hostPVs()).filter(
        (p) => p.metadata.name.startsWith(`${A}-`) && p.metadata.name.length === 253,
      );
      expect(onHost).toHaveLength(1);
    },
  );
});
