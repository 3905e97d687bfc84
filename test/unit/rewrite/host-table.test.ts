import { describe, expect, it } from 'vitest';
import { builtinVirtualResources } from '../../../src/builtin/builtin-virtual.js';
import { mergeBuiltinRows } from '../../../src/builtin/builtin-table.js';
import { rowsFromDiscovery } from '../../../src/builtin/host-discovery.js';

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const res = (resource: string, kind: string, scope: 'Namespaced' | 'Cluster') => ({
  resource,
  responseKind: { group: '', version: '', kind },
  scope,
  verbs: RW,
});

const discovered = rowsFromDiscovery([
  {
    metadata: { name: '' },
    versions: [
      {
        version: 'v1',
        resources: [
          res('pods', 'Pod', 'Namespaced'),
          res('nodes', 'Node', 'Cluster'),
          res('namespaces', 'Namespace', 'Cluster'),
        ],
      },
    ],
  },
  {
    metadata: { name: 'rbac.authorization.k8s.io' },
    versions: [{ version: 'v1', resources: [res('roles', 'Role', 'Namespaced')] }],
  },
  {
    metadata: { name: 'kplex.io' },
    versions: [{ version: 'v1alpha1', resources: [res('tenants', 'Tenant', 'Cluster')] }],
  },
  {
    metadata: { name: 'apps' },
    versions: [{ version: 'v1', resources: [res('deployments', 'Deployment', 'Namespaced')] }],
  },
]);
const place = (g: string, r: string) => discovered.find((x) => x.group === g && x.resource === r)?.placement;

describe('the host half of the resource table', () => {
  it('places each host resource by the placement data', () => {
    expect(place('', 'pods')).toBe('host');
    expect(place('apps', 'deployments')).toBe('host');
    expect(place('', 'nodes')).toBe('host-view');
    expect(place('rbac.authorization.k8s.io', 'roles')).toBe('refused');
    expect(place('kplex.io', 'tenants')).toBe('refused');
  });

  it('offers only read verbs on views', () => {
    expect(discovered.find((r) => r.resource === 'nodes')!.verbs).toEqual(['get', 'list', 'watch']);
  });

  it('lets virtual built-ins win over host rows of the same group/resource', () => {
    const merged = mergeBuiltinRows(builtinVirtualResources, discovered);
    const ns = merged.filter((r) => r.group === '' && r.resource === 'namespaces');
    expect(ns).toHaveLength(1);
    expect(ns[0]!.placement).toBe('virtual');
    expect(merged.find((r) => r.resource === 'pods')?.placement).toBe('host');
  });
});

describe('host rows placed virtual', () => {
  it('are refused while no virtual row serves them', () => {
    const row = {
      ...discovered.find((r) => r.resource === 'pods')!,
      group: 'example.io',
      resource: 'things',
      placement: 'virtual' as const,
    };
    const merged = mergeBuiltinRows(builtinVirtualResources, [row]);
    expect(merged.find((r) => r.resource === 'things')?.placement).toBe('refused');
  });
});
