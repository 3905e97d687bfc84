// Namespaces of a tenant: virtual objects in its store, each backed by a host namespace kplex
// creates and removes; driven with the real kubectl.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

describe('tenant namespaces', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;

  beforeAll(async () => {
    env = await startTenantEnv(host);
    kc = await env.tenant('ns-tenant');
  });
  afterAll(async () => env?.close());

  const hostNamespaces = (): string[] =>
    kubectlOk(host.kubeconfig, [
      'get',
      'ns',
      '-l',
      'kplex.io/tenant=ns-tenant',
      '-o',
      'jsonpath={.items[*].metadata.name}',
    ])
      .split(' ')
      .filter(Boolean);

  it('starts every tenant with default, kube-system, kube-public and kube-node-lease', () => {
    const out = kubectlOk(kc, ['get', 'ns', '-o', 'jsonpath={.items[*].metadata.name}']);
    expect(out.split(' ').sort()).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    const table = kubectlOk(kc, ['get', 'ns']);
    expect(table).toMatch(/^NAME\s+STATUS\s+AGE/);
    expect(table).toMatch(/default\s+Active\s+\d+s/);
  });

  it('creates, gets and describes a namespace, backed by a labelled host namespace', async () => {
    expect(kubectlOk(kc, ['create', 'ns', 'team-a'])).toContain('namespace/team-a created');
    const ns = JSON.parse(kubectlOk(kc, ['get', 'ns', 'team-a', '-o', 'json'])) as {
      metadata: { labels: Record<string, string>; uid: string };
      spec: { finalizers: string[] };
      status: { phase: string };
    };
    expect(ns.status.phase).toBe('Active');
    expect(ns.spec.finalizers).toEqual(['kubernetes']);
    expect(ns.metadata.labels['kubernetes.io/metadata.name']).toBe('team-a');
    expect(JSON.stringify(ns)).not.toContain('kplex.io');
    expect(kubectlOk(kc, ['describe', 'ns', 'team-a'])).toMatch(/Name:\s+team-a[\s\S]*Status:\s+Active/);
    await expect.poll(hostNamespaces, { timeout: 10_000 }).toContain('ns-tenant-team-a');
  });

  it('refuses a duplicate and an invalid name as the apiserver does', () => {
    const dup = kubectl(kc, ['create', 'ns', 'team-a']);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toContain('Error from server (AlreadyExists): namespaces "team-a" already exists');
    const bad = kubectl(kc, ['create', 'ns', 'Team_A']);
    expect(bad.stderr).toContain(
      'The Namespace "Team_A" is invalid: metadata.name: Invalid value: "Team_A": a lowercase RFC 1123 label must consist of',
    );
  });

  it('changes spec.finalizers through the finalize subresource only (PUT)', () => {
    kubectlOk(kc, ['create', 'ns', 'fin']);
    const ns = JSON.parse(kubectlOk(kc, ['get', 'ns', 'fin', '-o', 'json'])) as {
      spec: { finalizers: string[] };
      metadata: { labels: Record<string, string> };
    };
    ns.spec.finalizers.push('e2e.example.com/fakeFinalizer');
    const out = JSON.parse(
      kubectlOk(kc, ['replace', '--raw', '/api/v1/namespaces/fin/finalize', '-f', '-'], JSON.stringify(ns)),
    ) as { spec: { finalizers: string[] } };
    expect(out.spec.finalizers).toEqual(['kubernetes', 'e2e.example.com/fakeFinalizer']);
    // A plain update cannot change them.
    const fresh = JSON.parse(kubectlOk(kc, ['get', 'ns', 'fin', '-o', 'json'])) as typeof ns;
    fresh.spec.finalizers = [];
    fresh.metadata.labels.touched = 'yes';
    kubectlOk(kc, ['replace', '-f', '-'], JSON.stringify(fresh));
    const after = JSON.parse(kubectlOk(kc, ['get', 'ns', 'fin', '-o', 'json'])) as {
      spec: { finalizers: string[] };
      metadata: { labels: Record<string, string> };
    };
    expect(after.spec.finalizers).toEqual(['kubernetes', 'e2e.example.com/fakeFinalizer']);
    expect(after.metadata.labels.touched).toBe('yes');
  });

  it('deletes a namespace: kubectl waits until it is gone, and the host namespace is gone too', async () => {
    kubectlOk(kc, ['create', 'ns', 'doomed']);
    await expect.poll(hostNamespaces, { timeout: 10_000 }).toContain('ns-tenant-doomed');
    expect(kubectlOk(kc, ['delete', 'ns', 'doomed', '--timeout=90s'])).toContain(
      'namespace "doomed" deleted',
    );
    expect(kubectl(kc, ['get', 'ns', 'doomed']).stderr).toContain('namespaces "doomed" not found');
    expect(hostNamespaces()).not.toContain('ns-tenant-doomed');
    expect(kubectl(host.kubeconfig, ['get', 'ns', 'ns-tenant-doomed']).code).not.toBe(0);
  });
});
