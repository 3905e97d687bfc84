// kplex's host credentials as the chart gives them: the chart's RBAC objects and admission
// policies applied to the host (from the chart render), and a kubeconfig with a token of the
// chart's ServiceAccount. KPLEX_TEST_LEAST_PRIVILEGE=1 runs every test env's kplex on it.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { HostState } from '../../deploy/local-host/host.js';
import { renderChart } from '../../deploy/helm/render.js';
import { kubectl, kubectlOk } from './kubectl.js';

/** The chart's objects that set kplex's host rights (no workload: the host runs no image here). */
const RIGHTS = new Set([
  'CustomResourceDefinition',
  'Namespace',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);

export const KPLEX_USER = 'system:serviceaccount:kplex-system:kplex';

/** Applies the chart's rights to the host (idempotent) and writes kplex's kubeconfig; returns its path. */
export function chartKubeconfig(host: HostState): string {
  const file = path.join(host.dir, 'kplex-chart-sa.kubeconfig');
  if (existsSync(file)) return file;
  const adm = (args: string[]) => kubectlOk(host.kubeconfig, args);
  if (kubectl(host.kubeconfig, ['get', 'namespace', 'kplex-system']).code !== 0)
    adm(['create', 'namespace', 'kplex-system']);
  const rights = parseAllDocuments(renderChart())
    .map((d) => d.toJS() as { kind?: string } | null)
    .filter((o) => o && RIGHTS.has(o.kind ?? ''));
  const manifest = path.join(host.dir, 'kplex-chart-rights.yaml');
  writeFileSync(manifest, rights.map((o) => stringify(o)).join('---\n'));
  adm(['apply', '--server-side', '--force-conflicts', '-f', manifest]);
  const token = adm(['create', 'token', 'kplex', '-n', 'kplex-system', '--duration', '12h']).trim();
  const view = (jsonpath: string) =>
    adm(['config', 'view', '--raw', '--minify', '--flatten', '-o', `jsonpath=${jsonpath}`]);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'host',
          cluster: {
            server: view('{.clusters[0].cluster.server}'),
            'certificate-authority-data': view('{.clusters[0].cluster.certificate-authority-data}'),
          },
        },
      ],
      users: [{ name: 'kplex', user: { token } }],
      contexts: [{ name: 'kplex', context: { cluster: 'host', user: 'kplex' } }],
      'current-context': 'kplex',
    }),
    { mode: 0o600 },
  );
  return file;
}

/** `kplex serve` flags for running on the chart's credentials. */
export function chartServeArgs(host: HostState): string[] {
  return ['--host-kubeconfig', chartKubeconfig(host), '--host-namespace-role', 'kplex-host-namespace'];
}
