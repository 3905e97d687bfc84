// The local host cluster is real Kubernetes: kubectl talks to its kube-apiserver, its
// controllers and kwok nodes do their work.
import { describe, expect, inject, it } from 'vitest';
import { kubectlOk } from '../helpers/kubectl.js';

describe('local host cluster', () => {
  const host = inject('host');

  it('serves the pinned Kubernetes release', () => {
    const v = JSON.parse(kubectlOk(host.kubeconfig, ['version', '-o', 'json'])) as {
      serverVersion: { gitVersion: string };
    };
    expect(v.serverVersion.gitVersion).toMatch(/^v1\.32\.\d+$/);
  });

  it('creates a namespace with kubectl and reads it back, with the controllers filling it in', async () => {
    kubectlOk(host.kubeconfig, ['create', 'namespace', 'it-host-ns']);
    const ns = JSON.parse(kubectlOk(host.kubeconfig, ['get', 'namespace', 'it-host-ns', '-o', 'json'])) as {
      metadata: { name: string };
      status: { phase: string };
    };
    expect(ns.metadata.name).toBe('it-host-ns');
    expect(ns.status.phase).toBe('Active');
    // The service-account and root-CA controllers run: the namespace gets `default` and kube-root-ca.crt.
    await expect
      .poll(() => kubectlOk(host.kubeconfig, ['get', 'sa,cm', '-n', 'it-host-ns', '-o', 'name']), {
        timeout: 30_000,
      })
      .toMatch(/serviceaccount\/default[\s\S]*configmap\/kube-root-ca.crt/);
  });

  it('has at least two Ready kwok nodes and runs a Deployment to 3/3 Ready', () => {
    const nodes = JSON.parse(kubectlOk(host.kubeconfig, ['get', 'nodes', '-o', 'json'])) as {
      items: { status: { conditions: { type: string; status: string }[] } }[];
    };
    const ready = nodes.items.filter((n) =>
      n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    expect(ready.length).toBeGreaterThanOrEqual(2);
    kubectlOk(host.kubeconfig, [
      'create',
      'deployment',
      'it-web',
      '--image=nginx',
      '--replicas=3',
      '-n',
      'it-host-ns',
    ]);
    kubectlOk(host.kubeconfig, [
      'rollout',
      'status',
      'deployment/it-web',
      '-n',
      'it-host-ns',
      '--timeout=60s',
    ]);
    const dep = JSON.parse(
      kubectlOk(host.kubeconfig, ['get', 'deployment', 'it-web', '-n', 'it-host-ns', '-o', 'json']),
    ) as {
      status: { readyReplicas: number };
    };
    expect(dep.status.readyReplicas).toBe(3);
  });
});
