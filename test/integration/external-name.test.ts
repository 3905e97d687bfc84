// An ExternalName Service naming a Service of one of the tenant's own namespaces
// (`<svc>.<ns>.svc.cluster.local`), through the real kubectl against the real local host: the host
// object names the tenant's host namespace, every read gives back what the tenant wrote (get, list,
// Table, watch, the write's answer, `kubectl apply` twice), a NodePort Service turns into one as
// the conformance spec "[sig-network] Services should be able to change the type from NodePort to
// ExternalName" does, and a namespace the tenant does not have is refused as before.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const T = 'extname-tenant';
const U = 'extname-other';
const NS = 'front';
const DB = 'back';

const json = (o: unknown): string => JSON.stringify(o);

describe('ExternalName to a Service of the tenant', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;
  let kcOther: string;
  let hostNS: string;
  let hostDB: string;
  let hostOther: string;

  const hostNamespace = async (tenant: string, ns: string): Promise<string> => {
    // Made in the background right after the namespace: waited for (15 s at most).
    for (let i = 0; i < 150; i++) {
      const name = kubectlOk(host.kubeconfig, [
        'get',
        'ns',
        '-l',
        `kplex.io/tenant=${tenant},kplex.io/namespace=${ns}`,
        '-o',
        'jsonpath={.items[0].metadata.name}',
      ]);
      if (name) return name;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no host namespace for ${tenant}/${ns}`);
  };
  const externalName = (cfg: string, ns: string, name: string): string =>
    kubectlOk(cfg, ['get', 'svc', name, '-n', ns, '-o', 'jsonpath={.spec.externalName}']);
  const manifest = (name: string, externalName: string) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { type: 'ExternalName', externalName },
  });

  beforeAll(async () => {
    env = await startTenantEnv(host);
    kc = await env.tenant(T);
    kcOther = await env.tenant(U);
    kubectlOk(kc, ['create', 'namespace', NS]);
    kubectlOk(kc, ['create', 'namespace', DB]);
    kubectlOk(kcOther, ['create', 'namespace', DB]);
    hostNS = await hostNamespace(T, NS);
    hostDB = await hostNamespace(T, DB);
    hostOther = await hostNamespace(U, DB);
  });
  afterAll(async () => {
    if (env)
      kubectl(host.kubeconfig, ['patch', 'tenant', T, '--type', 'merge', '-p', '{"spec":{"policy":null}}']);
    await env?.close();
  });

  it('names the host namespace on the host and reads back as written', () => {
    kubectlOk(kc, ['create', 'service', 'clusterip', 'db', '-n', DB, '--tcp', '5432:5432']);
    const written = `db.${DB}.svc.cluster.local.`;
    const created = JSON.parse(
      kubectlOk(kc, ['create', '-n', NS, '-f', '-', '-o', 'json'], json(manifest('db', written))),
    ) as { spec: { externalName: string }; metadata: { resourceVersion: string } };
    expect(created.spec.externalName).toBe(written); // the write's answer
    expect(externalName(host.kubeconfig, hostNS, 'db')).toBe(`db.${hostDB}.svc.cluster.local.`);
    expect(externalName(kc, NS, 'db')).toBe(written);
    const list = JSON.parse(kubectlOk(kc, ['get', 'svc', '-n', NS, '-o', 'json'])) as {
      items: { spec: { externalName?: string } }[];
    };
    expect(list.items.map((i) => i.spec.externalName)).toContain(written);
    const table = kubectlOk(kc, ['get', 'svc', 'db', '-n', NS, '--no-headers']);
    expect(table).toContain(`db.${DB}.svc.cluster.local`);
    expect(table).not.toContain(hostDB);
    // A watch from the create's resourceVersion: the ADDED/MODIFIED events in the tenant's names.
    kubectlOk(kc, ['label', 'svc', 'db', '-n', NS, 'seen=yes']);
    const watched = kubectlOk(kc, [
      'get',
      '--raw',
      `/api/v1/namespaces/${NS}/services?watch=1&timeoutSeconds=2&resourceVersion=${created.metadata.resourceVersion}&fieldSelector=metadata.name%3Ddb`,
    ]);
    expect(watched).toContain(`"externalName":"${written}"`);
    expect(watched).not.toContain(hostDB);
  });

  it('kubectl apply twice reports unchanged', () => {
    const m = json(manifest('applied', `db.${DB}.svc.cluster.local`));
    expect(kubectlOk(kc, ['apply', '-n', NS, '-f', '-'], m)).toContain('service/applied created');
    expect(kubectlOk(kc, ['apply', '-n', NS, '-f', '-'], m)).toContain('service/applied unchanged');
    expect(kubectlOk(kc, ['apply', '--server-side', '-n', NS, '-f', '-'], m)).toContain('serverside-applied');
    expect(externalName(kc, NS, 'applied')).toBe(`db.${DB}.svc.cluster.local`);
    expect(kubectlOk(kc, ['diff', '-n', NS, '-f', '-'], m)).toBe('');
  });

  it('a NodePort Service becomes an ExternalName of the same namespace (the conformance spec)', async () => {
    kubectlOk(host.kubeconfig, [
      'patch',
      'tenant',
      T,
      '--type',
      'merge',
      '-p',
      json({ spec: { policy: { nodePorts: 2 } } }),
    ]);
    kubectlOk(kc, ['create', 'service', 'clusterip', 'externalsvc', '-n', NS, '--tcp', '80:80']);
    const np = ['create', 'service', 'nodeport', 'nodeport-service', '-n', NS, '--tcp', '80:80'];
    await expect.poll(() => kubectl(kc, np).code, { timeout: 15_000 }).toBe(0); // the policy reaches kplex
    const fqdn = `externalsvc.${NS}.svc.cluster.local`;
    const updated = JSON.parse(
      kubectlOk(kc, [
        'patch',
        'svc',
        'nodeport-service',
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        json({ spec: { type: 'ExternalName', externalName: fqdn, clusterIP: '' } }),
        '-o',
        'json',
      ]),
    ) as { spec: Record<string, unknown> };
    expect(updated.spec['type']).toBe('ExternalName');
    expect(updated.spec['externalName']).toBe(fqdn);
    expect(updated.spec['clusterIP']).toBeUndefined();
    expect(externalName(host.kubeconfig, hostNS, 'nodeport-service')).toBe(
      `externalsvc.${hostNS}.svc.cluster.local`,
    );
    expect(externalName(kc, NS, 'nodeport-service')).toBe(fqdn);
    // The e2e jig's way: read the object, change it, write it back whole (kubectl replace, a PUT).
    kubectlOk(kc, ['create', 'service', 'nodeport', 'np-put', '-n', NS, '--tcp', '80:80']);
    const cur = JSON.parse(kubectlOk(kc, ['get', 'svc', 'np-put', '-n', NS, '-o', 'json'])) as {
      spec: Record<string, unknown>;
    };
    Object.assign(cur.spec, { type: 'ExternalName', externalName: `${fqdn}.`, clusterIP: '', ports: null });
    delete cur.spec['clusterIPs'];
    kubectlOk(kc, ['replace', '-f', '-'], json(cur));
    expect(externalName(kc, NS, 'np-put')).toBe(`${fqdn}.`);
    expect(externalName(host.kubeconfig, hostNS, 'np-put')).toBe(`externalsvc.${hostNS}.svc.cluster.local.`);
  });

  it('a namespace the tenant does not have is refused as before', () => {
    for (const ns of [hostOther, 'kube-system', hostDB, 'nowhere']) {
      const name = `db.${ns}.svc.cluster.local`;
      const r = kubectl(kc, ['create', '-n', NS, '-f', '-'], json(manifest('refused', name)));
      expect(r.stderr).toContain(
        `services "refused" is forbidden: spec.externalName: "${name}" is not permitted for tenant services: a name of the cluster's domain resolves to the host's services`,
      );
    }
    expect(kubectl(kc, ['get', 'svc', 'refused', '-n', NS]).stderr).toContain('NotFound');
  });
});
