// A tenant's own PersistentVolumes and the class names of its volumes and claims, through the
// real kubectl against the real host: a PV the tenant creates is a host PV under a tenant-owned
// name, bound to the tenant's claim by the HOST's PV controller, shown under the names the tenant
// wrote (apply twice: unchanged), its status written as the conformance suite writes it; another
// tenant's claim of the same class never binds it. The host, sent the same objects in the same
// run, is the reference for phases and answers.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { apiClient } from '../helpers/api-client.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

type Any = Record<string, any>;

const A = 'vols-a';
const B = 'vols-b';
const RUN = `${process.pid}`;
const CLASS = `vols-cls-${RUN}`;

const pv = (name: string, labels: Record<string, string> = {}, extra: Any = {}) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name, labels: { run: RUN, ...labels } },
  spec: {
    capacity: { storage: '1Gi' },
    accessModes: ['ReadWriteOnce'],
    storageClassName: CLASS,
    csi: { driver: 'e2e.example.com', volumeHandle: `h-${name}` },
    ...extra,
  },
});

const pvc = (name: string, extra: Any = {}) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name },
  spec: {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: '1Gi' } },
    storageClassName: CLASS,
    ...extra,
  },
});

const until = async <T>(fn: () => Promise<T | undefined>, what: string): Promise<T> => {
  for (let i = 0; i < 300; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('tenant PersistentVolumes and storage class names', () => {
  const host = inject('host');
  let env: TenantEnv;
  let hostApi: HostClient;
  const kc: Record<string, string> = {};
  const api: Record<string, HostClient> = {};
  const hostNs = `vols-host-${RUN}`;

  beforeAll(async () => {
    hostApi = await apiClient(host.kubeconfig);
    env = await startTenantEnv(host);
    for (const t of [A, B]) {
      kc[t] = await env.tenant(t);
      api[t] = await apiClient(kc[t]);
      // CSI PersistentVolumes name an existing volume: a Tenant must allow them.
      kubectlOk(host.kubeconfig, [
        'patch',
        'tenant',
        t,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { policy: { allowedVolumeTypes: ['csi'] } } }),
      ]);
    }
    kubectlOk(host.kubeconfig, ['create', 'namespace', hostNs]);
  });
  afterAll(async () => {
    await env?.close();
    kubectl(host.kubeconfig, ['delete', 'namespace', hostNs, '--wait=false']);
    kubectl(host.kubeconfig, ['delete', 'pv', '-l', `run=${RUN}`, '--wait=false']);
  });

  const hostPVs = async (): Promise<Any[]> =>
    ((await hostApi.request<Any>('GET', `/api/v1/persistentvolumes?labelSelector=run%3D${RUN}`)).body
      .items as Any[]) ?? [];

  it('binds a tenant PV to the tenant claim through the host, names as written, like the host', async () => {
    // The host as the reference: the same PV and claim in a host namespace.
    kubectlOk(host.kubeconfig, ['apply', '-f', '-'], JSON.stringify(pv(`host-pv-${RUN}`)));
    kubectlOk(host.kubeconfig, ['apply', '-n', hostNs, '-f', '-'], JSON.stringify(pvc('claim')));
    // B's claim of the same class is made first: the host must not give it A's volume.
    kubectlOk(kc[B]!, ['apply', '-f', '-'], JSON.stringify(pvc('claim')));
    kubectlOk(kc[A]!, ['apply', '-f', '-'], JSON.stringify(pv('data')));
    kubectlOk(kc[A]!, ['apply', '-f', '-'], JSON.stringify(pvc('claim')));

    const phase = (k: string, args: string[]) =>
      until(async () => {
        const out = kubectl(k, ['get', ...args, '-o', 'jsonpath={.status.phase}']).stdout;
        return out === 'Bound' ? out : undefined;
      }, args.join(' '));
    await phase(host.kubeconfig, ['pvc', '-n', hostNs, 'claim']);
    await phase(kc[A]!, ['pvc', 'claim']);
    await phase(kc[A]!, ['pv', 'data']);

    const claim = JSON.parse(kubectlOk(kc[A]!, ['get', 'pvc', 'claim', '-o', 'json'])) as Any;
    const hostClaim = JSON.parse(
      kubectlOk(host.kubeconfig, ['get', 'pvc', '-n', hostNs, 'claim', '-o', 'json']),
    ) as Any;
    expect(claim.spec.volumeName).toBe('data');
    expect(hostClaim.spec.volumeName).toBe(`host-pv-${RUN}`);
    expect(claim.spec.storageClassName).toBe(CLASS);
    expect(claim.status).toEqual(hostClaim.status);
    const vol = JSON.parse(kubectlOk(kc[A]!, ['get', 'pv', 'data', '-o', 'json'])) as Any;
    const hostVol = JSON.parse(
      kubectlOk(host.kubeconfig, ['get', 'pv', `host-pv-${RUN}`, '-o', 'json']),
    ) as Any;
    expect(vol.metadata.name).toBe('data');
    expect(vol.metadata.labels).toEqual({ run: RUN });
    expect(vol.spec.storageClassName).toBe(CLASS);
    expect(vol.spec.claimRef).toMatchObject({ namespace: 'default', name: 'claim', uid: claim.metadata.uid });
    expect(vol.status.phase).toBe(hostVol.status.phase);
    // The host holds it under A's own name, with A's class name form.
    const onHost = (await hostPVs()).filter((p) => p.metadata.name !== `host-pv-${RUN}`);
    expect(onHost).toHaveLength(1);
    expect(onHost[0]!.metadata.name).toMatch(new RegExp(`^${A}-[0-9a-f]{8}-data$`));
    expect(onHost[0]!.spec.storageClassName).toMatch(new RegExp(`^${A}-[0-9a-f]{8}-${CLASS}$`));
    // B's claim of the same class name stayed Pending: A's volume is not B's.
    expect(kubectlOk(kc[B]!, ['get', 'pvc', 'claim', '-o', 'jsonpath={.status.phase}'])).toBe('Pending');
    expect(kubectlOk(kc[B]!, ['get', 'pv', '-o', 'name'])).toBe('');

    // Applying the same manifests again changes nothing.
    expect(kubectlOk(kc[A]!, ['apply', '-f', '-'], JSON.stringify(pv('data')))).toContain('unchanged');
    expect(kubectlOk(kc[A]!, ['apply', '-f', '-'], JSON.stringify(pvc('claim')))).toContain('unchanged');
    // kubectl's table: the names as written.
    const table = kubectlOk(kc[A]!, ['get', 'pv', 'data', '--no-headers']);
    expect(table).toMatch(new RegExp(`^data\\s.*Bound\\s+default/claim\\s+${CLASS}\\s`));
    expect(kubectlOk(kc[A]!, ['get', 'pvc', 'claim', '--no-headers'])).toMatch(
      new RegExp(`^claim\\s+Bound\\s+data\\s+1Gi\\s+RWO\\s+${CLASS}\\s`),
    );
  });

  it('patches, updates, writes status and lists by label as the conformance suite does', async () => {
    const a = api[A]!;
    const path = '/api/v1/persistentvolumes';
    const p = await a.request<Any>(
      'PATCH',
      `${path}/data`,
      { metadata: { labels: { data: 'patched' } } },
      'application/strategic-merge-patch+json',
    );
    expect([p.status, p.body.metadata.name, p.body.metadata.labels]).toEqual([
      200,
      'data',
      { run: RUN, data: 'patched' },
    ]);
    const got = (await a.request<Any>('GET', `${path}/data`)).body;
    expect(got.metadata.uid).toBe(p.body.metadata.uid);
    got.metadata.labels.data = 'updated';
    const u = await a.request<Any>('PUT', `${path}/data`, got);
    expect([u.status, u.body.metadata.labels.data, u.body.spec.storageClassName]).toEqual([
      200,
      'updated',
      CLASS,
    ]);
    const st = await a.request<Any>(
      'PATCH',
      `${path}/data/status`,
      { status: { message: 'StatusPatched', reason: 'E2E patchStatus' } },
      'application/merge-patch+json',
    );
    expect([st.status, st.body.metadata.name, st.body.status.reason]).toEqual([
      200,
      'data',
      'E2E patchStatus',
    ]);
    const cur = (await a.request<Any>('GET', `${path}/data`)).body;
    cur.status.reason = 'E2E updateStatus';
    const us = await a.request<Any>('PUT', `${path}/data/status`, cur);
    expect([us.status, us.body.status.reason]).toEqual([200, 'E2E updateStatus']);
    const listed = await a.request<Any>('GET', `${path}?labelSelector=data%3Dupdated`);
    expect((listed.body.items as Any[]).map((i) => i.metadata.name)).toEqual(['data']);
    const byName = await a.request<Any>('GET', `${path}?fieldSelector=metadata.name%3Ddata`);
    expect((byName.body.items as Any[]).map((i) => i.metadata.name)).toEqual(['data']);
    // A watch names it as the tenant does.
    const w = JSON.stringify(
      (await a.request('GET', `${path}?watch=1&timeoutSeconds=1&labelSelector=run%3D${RUN}`)).body,
    );
    expect(w).toContain('"name":"data"');
    expect(w).not.toContain(`${A}-`);
  });

  it('maps StatefulSet claim templates: their claims carry the class as written, kubectl diff empty', async () => {
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'web' },
      spec: {
        serviceName: 'web',
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
        volumeClaimTemplates: [pvc('data')],
      },
    };
    kubectlOk(kc[A]!, ['apply', '-f', '-'], JSON.stringify(sts));
    kubectlOk(host.kubeconfig, ['apply', '-n', hostNs, '-f', '-'], JSON.stringify(sts));
    // A second apply answers as the host's (kubectl patches claim templates again on any cluster);
    // kubectl diff finds nothing to change.
    const verb = (out: string) => out.trim().split(' ').pop();
    expect(verb(kubectlOk(kc[A]!, ['apply', '-f', '-'], JSON.stringify(sts)))).toBe(
      verb(kubectlOk(host.kubeconfig, ['apply', '-n', hostNs, '-f', '-'], JSON.stringify(sts))),
    );
    const diff = kubectl(kc[A]!, ['diff', '-f', '-'], JSON.stringify(sts));
    expect([diff.code, diff.stdout]).toEqual([0, '']);
    const got = JSON.parse(kubectlOk(kc[A]!, ['get', 'statefulset', 'web', '-o', 'json'])) as Any;
    expect(got.spec.volumeClaimTemplates[0].spec.storageClassName).toBe(CLASS);
    const claim = await until(async () => {
      const r = kubectl(kc[A]!, ['get', 'pvc', 'data-web-0', '-o', 'json']);
      return r.code === 0 ? (JSON.parse(r.stdout) as Any) : undefined;
    }, 'the StatefulSet claim');
    expect(claim.spec.storageClassName).toBe(CLASS);
    kubectlOk(kc[A]!, ['delete', 'statefulset', 'web']);
    kubectlOk(kc[A]!, ['delete', 'pvc', 'data-web-0', '--wait=false']);
  });

  it('answers a missing volume as the host does, in the tenant names', async () => {
    const h = await hostApi.request<Any>('GET', '/api/v1/persistentvolumes/no-such-pv');
    const t = await api[A]!.request<Any>('GET', '/api/v1/persistentvolumes/no-such-pv');
    expect([t.status, t.body.message, t.body.details]).toEqual([h.status, h.body.message, h.body.details]);
    const hd = await hostApi.request<Any>('DELETE', '/api/v1/persistentvolumes/no-such-pv');
    const td = await api[A]!.request<Any>('DELETE', '/api/v1/persistentvolumes/no-such-pv');
    expect([td.status, td.body.message]).toEqual([hd.status, hd.body.message]);
    const dup = await api[A]!.request<Any>('POST', '/api/v1/persistentvolumes', pv('data'));
    const hdup = await hostApi.request<Any>('POST', '/api/v1/persistentvolumes', pv(`host-pv-${RUN}`));
    expect([dup.status, dup.body.reason, dup.body.message]).toEqual([
      hdup.status,
      hdup.body.reason,
      String(hdup.body.message).replace(`host-pv-${RUN}`, 'data'),
    ]);
  });

  it('deletes its own volumes only (by name and by collection)', async () => {
    kubectlOk(kc[B]!, ['apply', '-f', '-'], JSON.stringify(pv('b-only', { mine: 'yes' })));
    kubectlOk(kc[A]!, ['delete', 'pvc', 'claim']);
    // deletecollection with a selector another tenant's volume also matches.
    const del = await api[A]!.request<Any>('DELETE', `/api/v1/persistentvolumes?labelSelector=run%3D${RUN}`);
    expect(del.status).toBe(200);
    await until(
      async () => ((await hostPVs()).some((p) => p.metadata.name.startsWith(`${A}-`)) ? undefined : true),
      'A volumes gone',
    );
    expect(kubectlOk(kc[B]!, ['get', 'pv', '-o', 'name']).trim()).toBe('persistentvolume/b-only');
    expect((await hostApi.request('GET', `/api/v1/persistentvolumes/host-pv-${RUN}`)).status).toBe(200);
    expect(kubectlOk(kc[B]!, ['delete', 'pv', 'b-only'])).toContain('deleted');
  });
});
