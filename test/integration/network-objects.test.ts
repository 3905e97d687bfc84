// Services and networking objects on the shared host (issue 14), through the real kubectl against
// the real local host: what the Tenant's policy allows works (a fixed ClusterIP in its range,
// node ports and load balancers within its caps, ExternalNames outside the cluster, Endpoints of
// the tenant's own pods, its own Ingress host names, volume types it allows, a PVC naming a
// PersistentVolume the platform bound to it), and what it does not is refused as kubectl shows it.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const T = 'net-tenant';
const U = 'net-other';
const NS = 'shop';

const json = (o: unknown): string => JSON.stringify(o);

describe('services and networking objects', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;
  let kcOther: string;

  const setPolicy = (policy: Record<string, unknown> | null): string =>
    kubectlOk(host.kubeconfig, ['patch', 'tenant', T, '--type', 'merge', '-p', json({ spec: { policy } })]);
  const create = (manifest: unknown, cfg = kc) =>
    kubectl(cfg, ['create', '-n', NS, '-f', '-'], json(manifest));
  /** The Tenant watch brings a policy to kplex: retry the allowed write until it lands. */
  const createOnceAllowed = async (manifest: unknown): Promise<void> => {
    await expect.poll(() => create(manifest).code, { timeout: 15_000 }).toBe(0);
  };
  const hostNs = (tenant: string): string =>
    kubectlOk(host.kubeconfig, [
      'get',
      'ns',
      '-l',
      `kplex.io/tenant=${tenant},kplex.io/namespace=${NS}`,
      '-o',
      'jsonpath={.items[0].metadata.name}',
    ]);
  const service = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { ports: [{ port: 80 }], ...spec },
  });

  beforeAll(async () => {
    env = await startTenantEnv(host);
    kc = await env.tenant(T);
    kcOther = await env.tenant(U);
    kubectlOk(kc, ['create', 'namespace', NS]);
    kubectlOk(kcOther, ['create', 'namespace', NS]);
  });
  afterAll(async () => {
    if (env)
      kubectl(host.kubeconfig, ['patch', 'tenant', T, '--type', 'merge', '-p', '{"spec":{"policy":null}}']);
    await env?.close();
  });

  it('documents the new policy fields and their defaults (kubectl explain)', () => {
    const policy = kubectlOk(host.kubeconfig, ['explain', 'tenants.spec.policy']).replace(/\s+/g, ' ');
    for (const f of ['clusterIPs', 'nodePorts', 'loadBalancers', 'loadBalancerStatus', 'allowedVolumeTypes'])
      expect(policy).toContain(f);
    expect(policy).toContain('Default: 0 (NodePort Services refused).');
  });

  it('a fixed ClusterIP only within the Tenant range', async () => {
    const k = kubectlOk(host.kubeconfig, [
      'get',
      'svc',
      'kubernetes',
      '-n',
      'default',
      '-o',
      'jsonpath={.spec.clusterIP}',
    ]);
    const mine = k.replace(/\.\d+$/, '.200');
    const refused = create(service('fixed', { clusterIP: mine }));
    expect(refused.stderr).toContain(
      `services "fixed" is forbidden: spec.clusterIP: a fixed cluster IP (${mine}) is not in the tenant's allowed cluster IPs`,
    );
    setPolicy({ clusterIPs: [`${mine}/32`] });
    await createOnceAllowed(service('fixed', { clusterIP: mine }));
    expect(kubectlOk(kc, ['get', 'svc', 'fixed', '-n', NS, '-o', 'jsonpath={.spec.clusterIP}'])).toBe(mine);
    // Updating a Service keeps its address (kubectl label sends it back unchanged).
    kubectlOk(kc, ['label', 'svc', 'fixed', '-n', NS, 'tier=web']);
    setPolicy(null);
  });

  it('NodePort and LoadBalancer Services within the caps, with kubectl create service', async () => {
    const np = kubectl(kc, ['create', 'service', 'nodeport', 'np1', '-n', NS, '--tcp=80:80']);
    expect(np.stderr).toContain(
      'services "np1" is forbidden: spec.type: NodePort services are not permitted for this tenant',
    );
    setPolicy({ nodePorts: 2, loadBalancers: 1 });
    await expect
      .poll(() => kubectl(kc, ['create', 'service', 'nodeport', 'np1', '-n', NS, '--tcp=80:80']).code, {
        timeout: 15_000,
      })
      .toBe(0);
    const port = kubectlOk(kc, ['get', 'svc', 'np1', '-n', NS, '-o', 'jsonpath={.spec.ports[0].nodePort}']);
    expect(Number(port)).toBeGreaterThan(0);
    // A LoadBalancer's node ports count too: the second port is the last of the cap.
    kubectlOk(kc, ['create', 'service', 'loadbalancer', 'lb1', '-n', NS, '--tcp=80:80']);
    const third = kubectl(kc, ['create', 'service', 'nodeport', 'np2', '-n', NS, '--tcp=81:81']);
    expect(third.stderr).toContain(
      'services "np2" is forbidden: exceeded quota: tenant-quota.kplex.io, requested: services.nodeports=1, used: services.nodeports=2, limited: services.nodeports=2',
    );
    const lb2 = kubectl(kc, ['create', 'service', 'loadbalancer', 'lb2', '-n', NS, '--tcp=82:82']);
    expect(lb2.stderr).toContain('exceeded quota: tenant-quota.kplex.io');
    // A LoadBalancer without node ports counts only as a load balancer.
    kubectlOk(kc, ['delete', 'svc', 'lb1', '-n', NS]);
    expect(create(service('lb3', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false })).code).toBe(
      0,
    );
    kubectlOk(kc, ['delete', 'svc', 'np1', 'lb3', '-n', NS]);
    setPolicy(null);
  });

  it('ExternalName outside the cluster passes; the host kubernetes Service does not', () => {
    kubectlOk(kc, ['create', 'service', 'externalname', 'db', '-n', NS, '--external-name', 'db.example.com']);
    const r = kubectl(kc, [
      'create',
      'service',
      'externalname',
      'kapi',
      '-n',
      NS,
      '--external-name',
      'kubernetes.default',
    ]);
    expect(r.stderr).toContain(
      'services "kapi" is forbidden: spec.externalName: "kubernetes.default" is not permitted',
    );
  });

  it("Endpoints of the tenant's own pod pass; another tenant's pod IP does not", async () => {
    const pod = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    });
    expect(create(pod('backend')).code).toBe(0);
    expect(create(pod('other'), kcOther).code).toBe(0);
    const ipOf = (cfg: string, name: string) =>
      kubectlOk(cfg, ['get', 'pod', name, '-n', NS, '-o', 'jsonpath={.status.podIP}']);
    await expect.poll(() => ipOf(kc, 'backend'), { timeout: 30_000 }).not.toBe('');
    await expect.poll(() => ipOf(kcOther, 'other'), { timeout: 30_000 }).not.toBe('');
    const ep = (name: string, ip: string) => ({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name },
      subsets: [{ addresses: [{ ip }], ports: [{ port: 80 }] }],
    });
    const own = create(ep('manual', ipOf(kc, 'backend')));
    // The host's Endpoints validation has the last word on the address itself (loopback pod IPs on some local hosts).
    if (own.code !== 0) expect(own.stderr).toContain('Endpoints "manual" is invalid');
    const foreign = create(ep('stolen', ipOf(kcOther, 'other')));
    expect(foreign.stderr).toContain('endpoints "stolen" is forbidden');
    expect(foreign.stderr).toContain('is not the address of a pod of this namespace');
  });

  it('Ingress host names: the first claim wins, the tenant may reuse its own', () => {
    const ing = (name: string, hostName: string) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name },
      spec: {
        rules: [
          {
            host: hostName,
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'web', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    });
    expect(create(ing('front', 'front.example.test')).code).toBe(0);
    expect(create(ing('front-v2', 'front.example.test')).code).toBe(0);
    const r = create(ing('front', 'front.example.test'), kcOther);
    expect(r.stderr).toContain(
      'ingresses.networking.k8s.io "front" is forbidden: spec.rules[0].host: host "front.example.test" is already claimed by an Ingress outside this tenant',
    );
    expect(r.stderr).not.toContain(T);
  });

  it('volume types: NFS only when the Tenant allows it', async () => {
    const nfsPod = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        containers: [{ name: 'c', image: 'x' }],
        volumes: [{ name: 'v', nfs: { server: '192.0.2.1', path: '/exports' } }],
      },
    });
    expect(create(nfsPod('nfs1')).stderr).toContain(
      'pods "nfs1" is forbidden: spec.volumes[0].nfs: volume type nfs is not permitted for this tenant\'s pods',
    );
    setPolicy({ allowedVolumeTypes: ['nfs'] });
    await createOnceAllowed(nfsPod('nfs1'));
    setPolicy(null);
  });

  it('a PVC may name a PersistentVolume the platform bound to it, not another', () => {
    const pv = (name: string, claimNs?: string) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        hostPath: { path: `/tmp/${name}` },
        ...(claimNs ? { claimRef: { namespace: claimNs, name: 'data' } } : {}),
      },
    });
    kubectlOk(host.kubeconfig, ['create', '-f', '-'], json(pv('net-bound-pv', hostNs(T))));
    kubectlOk(host.kubeconfig, ['create', '-f', '-'], json(pv('net-free-pv')));
    const pvc = (name: string, volumeName: string) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        storageClassName: '',
        volumeName,
      },
    });
    expect(create(pvc('data', 'net-bound-pv')).code).toBe(0);
    expect(create(pvc('grab', 'net-free-pv')).stderr).toContain(
      'persistentvolumeclaims "grab" is forbidden: spec.volumeName: PersistentVolume "net-free-pv" is not one this tenant may claim',
    );
    kubectl(host.kubeconfig, ['delete', 'pv', 'net-free-pv', '--wait=false']);
  });
});
