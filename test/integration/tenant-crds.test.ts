// CRDs and custom resources of a tenant, with a large real-world CRD (Gateway API's Gateway,
// with CEL rules), driven with the real kubectl and compared with the host's kube-apiserver.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { apiClient } from '../helpers/api-client.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const fixture = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'crds',
  'gateways.gateway.networking.k8s.io.json',
);
const CRD = 'gateways.gateway.networking.k8s.io';

const gateway = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name, namespace: 'default' },
  spec: { gatewayClassName: 'example', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }], ...extra },
});

describe('tenant CRDs and custom resources', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;

  beforeAll(async () => {
    env = await startTenantEnv(host);
    kc = await env.tenant('crd-tenant');
    expect(kubectlOk(kc, ['apply', '-f', fixture])).toContain(
      `customresourcedefinition.apiextensions.k8s.io/${CRD} created`,
    );
    kubectlOk(kc, ['wait', '--for=condition=Established', `crd/${CRD}`, '--timeout=30s']);
  });
  afterAll(async () => env?.close());

  it('lists the CRD, and its resource shows in discovery with short names and categories', () => {
    expect(kubectlOk(kc, ['get', 'crd'])).toMatch(
      new RegExp(`^NAME\\s+CREATED AT\\n${CRD.replace(/\./g, '\\.')}\\s+\\d{4}-`, 'm'),
    );
    const resources = kubectlOk(kc, ['api-resources', '--api-group=gateway.networking.k8s.io']);
    expect(resources).toMatch(/gateways\s+gtw\s+gateway\.networking\.k8s\.io\/v1\s+true\s+Gateway/);
  });

  it('creates custom resources and lists them with the CRD printer columns', () => {
    kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(gateway('gw1')));
    const table = kubectlOk(kc, ['get', 'gateways', '-n', 'default']);
    expect(table).toMatch(/^NAME\s+CLASS\s+ADDRESS\s+PROGRAMMED\s+AGE\n/);
    // Status defaults of the schema apply on read, as on the host: PROGRAMMED reads Unknown.
    expect(table).toMatch(/gw1\s+example\s+Unknown\s+\d+s/);
    expect(kubectlOk(kc, ['get', 'gtw', 'gw1', '-o', 'jsonpath={.metadata.generation}'])).toBe('1');
  });

  it('patches with merge, JSON patch and server-side apply (with conflicts and force)', () => {
    kubectlOk(kc, [
      'patch',
      'gateway',
      'gw1',
      '--type=merge',
      '-p',
      '{"spec":{"gatewayClassName":"merged"}}',
    ]);
    expect(kubectlOk(kc, ['get', 'gtw', 'gw1', '-o', 'jsonpath={.spec.gatewayClassName}'])).toBe('merged');
    kubectlOk(kc, [
      'patch',
      'gateway',
      'gw1',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/listeners/0/port","value":8080}]',
    ]);
    expect(
      kubectlOk(kc, ['get', 'gtw', 'gw1', '-o', 'jsonpath={.spec.listeners[0].port} {.metadata.generation}']),
    ).toBe('8080 3');

    const applied = JSON.stringify(gateway('gw-ssa'));
    kubectlOk(kc, ['apply', '--server-side', '--field-manager=alice', '-f', '-'], applied);
    expect(kubectlOk(kc, ['apply', '--server-side', '--field-manager=alice', '-f', '-'], applied)).toContain(
      'serverside-applied',
    );
    const rv1 = kubectlOk(kc, ['get', 'gtw', 'gw-ssa', '-o', 'jsonpath={.metadata.resourceVersion}']);
    kubectlOk(kc, ['apply', '--server-side', '--field-manager=alice', '-f', '-'], applied);
    expect(kubectlOk(kc, ['get', 'gtw', 'gw-ssa', '-o', 'jsonpath={.metadata.resourceVersion}'])).toBe(rv1);
    const bob = JSON.stringify({
      ...gateway('gw-ssa'),
      spec: { gatewayClassName: 'bobs', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
    });
    const conflict = kubectl(kc, ['apply', '--server-side', '--field-manager=bob', '-f', '-'], bob);
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain(
      'Apply failed with 1 conflict: conflict with "alice": .spec.gatewayClassName',
    );
    expect(conflict.stderr).toContain('.spec.gatewayClassName');
    kubectlOk(kc, ['apply', '--server-side', '--field-manager=bob', '--force-conflicts', '-f', '-'], bob);
    expect(kubectlOk(kc, ['get', 'gtw', 'gw-ssa', '-o', 'jsonpath={.spec.gatewayClassName}'])).toBe('bobs');
  });

  it('applying the same manifest twice leaves no diff', () => {
    const manifest = JSON.stringify(gateway('gw-diff'));
    kubectlOk(kc, ['apply', '-f', '-'], manifest);
    const diff = kubectl(kc, ['diff', '-f', '-'], manifest);
    expect(diff.stdout).toBe('');
    expect(diff.code).toBe(0);
  });

  it('streams changes to `kubectl get -w`', async () => {
    const watcher = spawn('kubectl', [
      '--kubeconfig',
      kc,
      'get',
      'gateways',
      '-n',
      'default',
      '-w',
      '--output-watch-events',
    ]);
    let out = '';
    watcher.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await expect.poll(() => out, { timeout: 15_000 }).toContain('gw1');
      kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(gateway('gw-watched')));
      await expect.poll(() => out, { timeout: 15_000 }).toMatch(/ADDED\s+gw-watched\s/);
      kubectlOk(kc, ['delete', 'gateway', 'gw-watched']);
      await expect.poll(() => out, { timeout: 15_000 }).toMatch(/DELETED\s+gw-watched\s/);
    } finally {
      watcher.kill();
    }
  });

  it('explains the custom resource from its schema', () => {
    const out = kubectlOk(kc, ['explain', 'gateway.spec']);
    expect(out).toContain('KIND:       Gateway');
    expect(out).toMatch(/gatewayClassName\s+<string> -required-/);
    expect(out).toContain('listeners');
  });

  it('serves several versions of a CRD (conversion None) and deletes objects with their CRD', async () => {
    const multi = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.multi.example.com' },
      spec: {
        group: 'multi.example.com',
        scope: 'Cluster',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: ['v1', 'v2'].map((name) => ({
          name,
          served: true,
          storage: name === 'v1',
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', properties: { size: { type: 'integer', default: 1 } } } },
            },
          },
        })),
      },
    };
    kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(multi));
    kubectlOk(kc, ['wait', '--for=condition=Established', 'crd/widgets.multi.example.com', '--timeout=30s']);
    kubectlOk(
      kc,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'multi.example.com/v2',
        kind: 'Widget',
        metadata: { name: 'w' },
        spec: {},
      }),
    );
    const v1 = JSON.parse(kubectlOk(kc, ['get', 'widgets.v1.multi.example.com', 'w', '-o', 'json'])) as {
      apiVersion: string;
      spec: { size: number };
    };
    expect(v1.apiVersion).toBe('multi.example.com/v1');
    expect(v1.spec.size).toBe(1); // defaulted from the schema
    const v2 = JSON.parse(kubectlOk(kc, ['get', 'widgets.v2.multi.example.com', 'w', '-o', 'json'])) as {
      apiVersion: string;
    };
    expect(v2.apiVersion).toBe('multi.example.com/v2');
    const stored = JSON.parse(kubectlOk(kc, ['get', 'crd', 'widgets.multi.example.com', '-o', 'json'])) as {
      status: { storedVersions: string[] };
    };
    expect(stored.status.storedVersions).toEqual(['v1']);
    kubectlOk(kc, ['delete', 'crd', 'widgets.multi.example.com', '--timeout=30s']);
    expect(kubectl(kc, ['get', 'crd', 'widgets.multi.example.com']).stderr).toContain('not found');
    kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(multi));
    kubectlOk(kc, ['wait', '--for=condition=Established', 'crd/widgets.multi.example.com', '--timeout=30s']);
    expect(kubectlOk(kc, ['get', 'widgets.multi.example.com', '-o', 'name'])).toBe('');
  });

  describe('an invalid object', () => {
    let hostApi: HostClient;
    let tenantApi: HostClient;
    beforeAll(async () => {
      kubectlOk(host.kubeconfig, ['apply', '-f', fixture]);
      kubectlOk(host.kubeconfig, ['wait', '--for=condition=Established', `crd/${CRD}`, '--timeout=30s']);
      hostApi = await apiClient(host.kubeconfig);
      tenantApi = await apiClient(kc);
    });
    afterAll(async () => {
      await hostApi?.close();
      await tenantApi?.close();
    });

    const invalidObjects: [string, unknown][] = [
      [
        'a port out of range and a missing listener name',
        gateway('bad1', { listeners: [{ port: 70000, protocol: 'HTTP' }] }),
      ],
      [
        'a CEL rule (tls on an HTTP listener)',
        gateway('bad2', {
          listeners: [{ name: 'h', port: 80, protocol: 'HTTP', tls: { mode: 'Terminate' } }],
        }),
      ],
      [
        'a wrong type and an enum',
        gateway('bad3', {
          gatewayClassName: 7,
          listeners: [
            { name: 'h', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Nowhere' } } },
          ],
        }),
      ],
    ];

    it.each(invalidObjects)(
      "is refused with the host apiserver's code and causes: %s",
      async (_what, body) => {
        const p = '/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways';
        const [h, t] = await Promise.all([
          hostApi.request<Record<string, unknown>>('POST', p, body),
          tenantApi.request<Record<string, unknown>>('POST', p, body),
        ]);
        expect(h.status).toBe(422);
        expect(t.status).toBe(h.status);
        const shape = (s: Record<string, unknown>) => {
          const d = s.details as {
            causes?: { reason: string; field: string; message: string }[];
            kind?: string;
            name?: string;
            group?: string;
          };
          return {
            reason: s.reason,
            kind: d.kind,
            group: d.group,
            name: d.name,
            causes: [...(d.causes ?? [])].sort((a, b) =>
              `${a.field}${a.message}`.localeCompare(`${b.field}${b.message}`),
            ),
          };
        };
        expect(shape(t.body)).toEqual(shape(h.body));
      },
    );
  });
});
