// An ExternalName naming a Service of one of the tenant's namespaces (`<svc>.<ns>.svc.cluster.local`):
// the namespace label reaches the host as the tenant's host namespace and reads back exactly as
// written (objects, lists, Table cells); admission lets through only the tenant's own namespaces;
// the tenant DNS follows the CNAME in the tenant's names.
import { describe, expect, it } from 'vitest';
import type { AdmissionAttributes } from '../../../src/admission/attributes.js';
import { clusterExternalName, serviceExternalName } from '../../../src/admission/service-policy.js';
import { serviceDnsName, withServiceNamespace } from '../../../src/api/service-dns-names.js';
import { DnsIndex } from '../../../src/dns/dns-index.js';
import { trimNamespace, trimService } from '../../../src/dns/dns-objects.js';
import { DnsResolver } from '../../../src/dns/dns-resolver.js';
import { NamespaceMap, unownedName } from '../../../src/rewrite/namespace-translator.js';
import { bodyToVirtual, objectToHost } from '../../../src/rewrite/object-rewrite.js';

const map = new NamespaceMap(
  'acme',
  new Map([
    ['app', 'acme-app'],
    ['default', 'acme-default'],
    ['other', 'acme-other-7f3a9c01de'],
  ]),
  0,
  'uid-acme',
);
const svc = (externalName: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'ext', namespace: 'app' },
  spec: { type: 'ExternalName', externalName },
});
const toHost = (name: string): string => {
  const o = svc(name);
  objectToHost(o, map, 'acme-app');
  return o.spec.externalName;
};
const toVirtual = (name: string): string => {
  const o = svc(name);
  bodyToVirtual(o, map);
  return o.spec.externalName;
};

describe('Service DNS names', () => {
  it('are <svc>.<ns>.svc.cluster.local, absolute or not, every label but the namespace in any case', () => {
    expect(serviceDnsName('db.app.svc.cluster.local')).toEqual({ service: 'db', namespace: 'app' });
    expect(serviceDnsName('DB.app.SVC.Cluster.Local.')).toEqual({ service: 'DB', namespace: 'app' });
    for (const n of [
      'app.svc.cluster.local',
      'x.db.app.svc.cluster.local',
      '10-0-0-1.app.pod.cluster.local',
      'db.app.svc',
      'db.app.svc.cluster.local.evil.org',
      'db.app.svc.cluster.localhost',
      'db..svc.cluster.local',
    ])
      expect(serviceDnsName(n), n).toBeUndefined();
    expect(withServiceNamespace('example.org', () => 'x')).toBe('example.org');
  });
});

describe('ExternalName rewrite', () => {
  it("names the tenant's host namespace on the host and reads back exactly as written", () => {
    for (const [v, h] of [
      ['db.app.svc.cluster.local', 'db.acme-app.svc.cluster.local'],
      ['db.app.svc.cluster.local.', 'db.acme-app.svc.cluster.local.'],
      ['db.other.svc.cluster.local', 'db.acme-other-7f3a9c01de.svc.cluster.local'],
    ]) {
      expect(toHost(v!)).toBe(h);
      expect(toVirtual(h!)).toBe(v);
    }
  });
  it('keeps the case of every other label (the host judges it, as an apiserver)', () => {
    expect(toHost('DB.app.SVC.cluster.local')).toBe('DB.acme-app.SVC.cluster.local');
  });
  it('maps a namespace the tenant lacks to a placeholder nobody owns, read back as written', () => {
    for (const ns of ['kube-system', 'acme-app', 'b-app', 'later', 'APP']) {
      const h = toHost(`db.${ns}.svc.cluster.local`);
      expect(h).toBe(`db.${unownedName('acme', ns)}.svc.cluster.local`);
      expect(toVirtual(h)).toBe(`db.${ns}.svc.cluster.local`);
    }
  });
  it('leaves every other name alone', () => {
    for (const n of ['example.org', 'db.app.svc', 'x.db.app.svc.cluster.local', 'db.app.pod.cluster.local'])
      expect(toHost(n)).toBe(n);
  });
  it('reads back in lists and Table rows (cells and objects)', () => {
    const host = 'db.acme-app.svc.cluster.local';
    const list = { kind: 'ServiceList', items: [svc(host)] };
    bodyToVirtual(list, map);
    expect(list.items[0]!.spec.externalName).toBe('db.app.svc.cluster.local');
    const table = {
      kind: 'Table',
      rows: [{ cells: ['ext', 'ExternalName', '<none>', host], object: svc(host) }],
    };
    bodyToVirtual(table, map);
    expect(table.rows[0]!.cells[3]).toBe('db.app.svc.cluster.local');
    expect(table.rows[0]!.object.spec.externalName).toBe('db.app.svc.cluster.local');
  });
});

describe('ExternalName admission', () => {
  const hostNamespaceOf = (ns: string) => map.hostOf(ns);
  it("lets through the tenant's own namespaces only", () => {
    for (const n of ['db.app.svc.cluster.local', 'db.other.svc.cluster.local.', 'DB.app.SVC.Cluster.Local'])
      expect(clusterExternalName(n, hostNamespaceOf), n).toBeUndefined();
    for (const n of [
      'db.kube-system.svc.cluster.local',
      'db.acme-app.svc.cluster.local',
      'db.later.svc.cluster.local',
      'db.APP.svc.cluster.local',
      'kubernetes.default.svc.cluster.local',
      'KUBERNETES.default.svc.cluster.local.',
      'x.db.app.svc.cluster.local',
      '10-0-0-1.app.pod.cluster.local',
      'app.svc.cluster.local',
      'db.app.svc',
      'db.app',
    ])
      expect(clusterExternalName(n, hostNamespaceOf), n).toBeDefined();
    // Without the tenant's namespaces (no host write), every name of the cluster's domain is refused.
    expect(clusterExternalName('db.app.svc.cluster.local')).toBeDefined();
  });
  it('asks the admission env which namespaces are the tenant’s', async () => {
    const p = serviceExternalName();
    const a = (externalName: string): AdmissionAttributes => ({
      operation: 'CREATE',
      resource: { group: '', version: 'v1', resource: 'services' },
      subresource: '',
      kind: { group: '', version: 'v1', kind: 'Service' },
      namespace: 'app',
      name: 'ext',
      object: svc(externalName) as never,
      oldObject: null,
      user: { username: 'alice', groups: [] },
      dryRun: false,
    });
    await expect(p.validate!(a('db.app.svc.cluster.local'), { hostNamespaceOf })).resolves.toEqual([]);
    // A name carried on a ClusterIP Service (the host keeps it) is judged when the type changes.
    const carried = { spec: { type: 'ClusterIP', externalName: 'kubernetes.default' } };
    const switched = {
      ...a('kubernetes.default'),
      operation: 'UPDATE' as const,
      oldObject: carried as never,
    };
    await expect(p.validate!(switched, { hostNamespaceOf })).rejects.toMatchObject({ status: { code: 403 } });
    await expect(p.validate!(a('db.nope.svc.cluster.local'), { hostNamespaceOf })).rejects.toMatchObject({
      status: {
        code: 403,
        message:
          'services "ext" is forbidden: spec.externalName: "db.nope.svc.cluster.local" is not permitted for tenant services: a name of the cluster\'s domain resolves to the host\'s services',
      },
    });
  });
});

describe('tenant DNS', () => {
  it("follows a CNAME to the tenant's own Service in its names, never another tenant's", () => {
    const index = new DnsIndex();
    const ns = (name: string, uid: string, vns: string) => ({
      metadata: {
        name,
        labels: {
          'kplex.io/tenant': uid,
          'kplex.io/tenant-uid': uid,
          'kplex.io/namespace': vns,
          'app.kubernetes.io/managed-by': 'kplex',
        },
      },
    });
    index.onNamespace({ type: 'ADDED', object: trimNamespace(ns('acme-app', 'uid-acme', 'app')) });
    index.onNamespace({ type: 'ADDED', object: trimNamespace(ns('b-web', 'uid-b', 'web')) });
    const ext = (name: string, externalName: string) =>
      index.onService({
        type: 'ADDED',
        object: trimService({
          metadata: { name, namespace: 'acme-app' },
          spec: { type: 'ExternalName', externalName },
        }),
      });
    ext('own', 'db.acme-app.svc.cluster.local.');
    ext('foreign', 'db.b-web.svc.cluster.local');
    const r = new DnsResolver(index);
    const client = { tenantUid: 'uid-acme', hostNamespace: 'acme-app', namespace: 'app' };
    const cname = (q: string) => r.resolve(client, q, 'A').answers.map((a) => (a as { data: string }).data);
    expect(cname('own.app.svc.cluster.local')).toEqual(['db.app.svc.cluster.local']);
    expect(cname('foreign.app.svc.cluster.local')).toEqual(['db.b-web.svc.cluster.local']);
  });
});
