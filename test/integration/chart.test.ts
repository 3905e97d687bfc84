// The Helm chart (deploy/helm/kplex) and the manifest rendered from it: lint, the generated files
// up to date, and both accepted by the real host's admission and validation (server dry run).
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { helmBinary } from '../../deploy/helm/helm-bin.js';
import {
  chartDir,
  crdFile,
  crdYaml,
  KUBE_VERSION,
  manifestFile,
  manifestYaml,
  renderChart,
} from '../../deploy/helm/render.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';

const CA = `-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBATAKBggqhkjOPQQDAjAAMB4XDTI2MDEwMTAwMDAwMFoX\n-----END CERTIFICATE-----\n`;

describe('the Helm chart', () => {
  const host = inject('host');
  let helm: string;
  let dir: string;

  beforeAll(() => {
    helm = helmBinary();
    dir = mkdtempSync(path.join(os.tmpdir(), 'kplex-chart-'));
    // The namespaces the chart's objects live in must exist for a server dry run (a dry-run
    // Namespace is not persisted). kplex-dry-run is created as kplex itself would create it.
    if (kubectl(host.kubeconfig, ['get', 'namespace', 'kplex-system']).code !== 0)
      kubectlOk(host.kubeconfig, ['create', 'namespace', 'kplex-system']);
    if (kubectl(host.kubeconfig, ['get', 'namespace', 'kplex-dry-run']).code !== 0)
      kubectlOk(
        host.kubeconfig,
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: {
            name: 'kplex-dry-run',
            labels: { 'app.kubernetes.io/managed-by': 'kplex', 'kplex.io/role': 'dry-run' },
          },
        }),
      );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const serverDryRun = (yaml: string): string => {
    const file = path.join(dir, `render-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, yaml);
    return kubectlOk(host.kubeconfig, ['apply', '--dry-run=server', '-f', file]);
  };

  it('passes helm lint --strict', () => {
    const r = spawnSync(
      helm,
      ['lint', '--strict', chartDir, '--namespace', 'kplex-system', ...KUBE_VERSION],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stdout + r.stderr).toContain('0 chart(s) failed');
    expect(r.status).toBe(0);
  });

  it("ships the Tenant CRD kplex installs, and the manifest is the chart's default render", () => {
    const stale =
      'stale: run npx tsx deploy/helm/render.ts (after a change of the chart or src/tenancy/tenant-crd.ts)';
    expect(readFileSync(crdFile, 'utf8'), stale).toBe(crdYaml());
    expect(readFileSync(manifestFile, 'utf8'), stale).toBe(manifestYaml(helm));
  });

  it('renders every object the install needs', () => {
    const kinds = parseAllDocuments(readFileSync(manifestFile, 'utf8'))
      .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)
      .filter((o) => o?.kind)
      .map((o) => `${o?.kind}/${o?.metadata?.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'CustomResourceDefinition/tenants.kplex.io',
        'ServiceAccount/kplex',
        'ClusterRole/kplex',
        'ClusterRole/kplex-host-namespace',
        'ClusterRoleBinding/kplex',
        'Role/kplex',
        'RoleBinding/kplex',
        'Service/kplex',
        'Service/kplex-metrics',
        'StatefulSet/kplex',
        'NetworkPolicy/kplex',
        'ValidatingAdmissionPolicy/kplex-namespaces',
        'ValidatingAdmissionPolicy/kplex-rolebindings',
        'ValidatingAdmissionPolicy/kplex-pod-webhook',
      ]),
    );
  });

  it('the manifest passes kubectl apply --dry-run=server on the host', () => {
    const out = serverDryRun(readFileSync(manifestFile, 'utf8'));
    expect(out).toContain('statefulset.apps/kplex created (server dry run)');
    expect(out).toContain('validatingadmissionpolicy.admissionregistration.k8s.io/kplex-namespaces');
  });

  it('a render with every option set passes the server dry run too', () => {
    const yaml = renderChart(helm, [
      '--set-string',
      `webhook.clientCA=${CA}`,
      '--set',
      'service.clusterIP=10.0.0.200,dns.enabled=true,metrics.tenantSeries=20',
      '--set',
      'rbac.clusterWideWatch[0].apiGroup=,rbac.clusterWideWatch[0].resource=configmaps',
      '--set',
      'extraArgs[0]=--shutdown-grace-seconds=30',
    ]);
    expect(yaml).toContain('--pod-api-address=10.0.0.200:443');
    expect(yaml).toContain('--webhook-client-ca=/etc/kplex/webhook-client-ca/ca.crt');
    expect(yaml).toContain('--dns-listen=0.0.0.0:5353');
    expect(yaml).toContain('--metrics-tenant-series=20');
    expect(yaml).toContain('resources: [services, pods]');
    // The fixed ClusterIP is validated against the host's Service CIDR; the rest is not changed by it.
    const out = serverDryRun(yaml.replace('clusterIP: 10.0.0.200', ''));
    expect(out).toContain('configmap/kplex-webhook-client-ca created (server dry run)');
  });

  it('runs N sharded replicas (shard = pod ordinal, peer address = pod IP) with one serving certificate', () => {
    const yaml = renderChart(helm, ['--set', 'replicas=3', '--set', 'tls.secretName=kplex-tls']);
    const sts = parseAllDocuments(yaml)
      .map((d) => d.toJS() as { kind?: string; spec?: Record<string, unknown> })
      .find((d) => d.kind === 'StatefulSet')!;
    expect(sts.spec!['replicas']).toBe(3);
    const container = (
      sts.spec!['template'] as { spec: { containers: { args: string[]; env: { name: string }[] }[] } }
    ).spec.containers[0]!;
    expect(container.args).toEqual(
      expect.arrayContaining([
        '--shards=3',
        '--shard=ordinal',
        '--replica-id=$(POD_NAME)',
        '--peer-address=https://$(POD_IP):9443',
        '--tls-cert-file=/etc/kplex/tls/tls.crt',
      ]),
    );
    expect(container.env.map((e) => e.name)).toEqual(['POD_NAME', 'POD_IP']);
    expect(serverDryRun(yaml)).toContain('statefulset.apps/kplex created (server dry run)');
    // Without a shared serving certificate each replica would make its own CA: refused.
    const own = spawnSync(
      helm,
      ['template', 'k', chartDir, '-n', 'kplex-system', ...KUBE_VERSION, '--set', 'replicas=2'],
      { encoding: 'utf8' },
    );
    expect(own.status).not.toBe(0);
    expect(own.stderr).toContain('replicas > 1 needs tls.secretName');
  });

  it('refuses to grant cluster-wide Secret reads, and any namespace but kplex-system', () => {
    const secrets = spawnSync(
      helm,
      [
        'template',
        'k',
        chartDir,
        '-n',
        'kplex-system',
        ...KUBE_VERSION,
        '--set',
        'rbac.clusterWideWatch[0].resource=secrets',
      ],
      { encoding: 'utf8' },
    );
    expect(secrets.status).not.toBe(0);
    expect(secrets.stderr).toContain('never reads Secrets cluster-wide');
    const elsewhere = spawnSync(helm, ['template', 'k', chartDir, '-n', 'default', ...KUBE_VERSION], {
      encoding: 'utf8',
    });
    expect(elsewhere.status).not.toBe(0);
    expect(elsewhere.stderr).toContain('kplex-system');
  });
});
