// Patches of host-backed objects are applied by kplex to the tenant's view and rewritten as a
// whole: no JSON patch op, merge-patch null or strategic-merge directive reaches the host as sent.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/api/object.js';
import { StatusError } from '../../../src/api/status.js';
import { applyConfigForHost, patchedForHost, type PatchTarget } from '../../../src/host/host-patch.js';
import { NamespaceMap, textToVirtual } from '../../../src/rewrite/namespace-translator.js';
import { bodyToVirtual } from '../../../src/rewrite/object-rewrite.js';
import type { ResourceInfo } from '../../../src/resources/types.js';

const map = new NamespaceMap(
  'acme',
  new Map([
    ['default', 'acme-default'],
    ['prod', 'acme-prod'],
  ]),
);
const row = (group: string, kind: string, resource: string): ResourceInfo =>
  ({ group, version: 'v1', kind, resource, namespaced: true }) as unknown as ResourceInfo;
const DEPLOY = row('apps', 'Deployment', 'deployments');
const CRONJOB = row('batch', 'CronJob', 'cronjobs');
const NETPOL = row('networking.k8s.io', 'NetworkPolicy', 'networkpolicies');
const target = (r: ResourceInfo, name = 'web'): PatchTarget => ({
  row: r,
  subresource: undefined,
  namespace: 'default',
  name,
  hostNamespace: 'acme-default',
  map,
});

/** A Deployment as the host stores it: host namespace, kplex's own label, tenant-ANDed selector. */
const hostDeployment = (): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'acme-default',
      resourceVersion: '42',
      labels: { app: 'web', 'kplex.io/owner': 'kplex' },
    },
    spec: {
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'c', image: 'x' }],
          affinity: {
            podAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                {
                  topologyKey: 'k',
                  namespaces: ['acme-prod'],
                  namespaceSelector: { matchLabels: { team: 'a', 'kplex.io/tenant': 'acme' } },
                },
              ],
            },
          },
        },
      },
    },
  }) as unknown as KubeObject;

type Term = { namespaces?: string[]; namespaceSelector?: { matchLabels?: Record<string, string> } };
const terms = (o: KubeObject): Term[] =>
  (
    o as unknown as {
      spec: {
        template: {
          spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: Term[] } } };
        };
      };
    }
  ).spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution;
const AFF = '/spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution';

describe('patches of host-backed objects', () => {
  it('rewrites a JSON patch of affinity namespaces and an empty namespaceSelector', () => {
    const { object } = patchedForHost(target(DEPLOY), hostDeployment(), 'application/json-patch+json', [
      { op: 'add', path: `${AFF}/-`, value: { topologyKey: 'k', namespaceSelector: {} } },
      { op: 'replace', path: `${AFF}/0/namespaces`, value: ['acme-prod', 'other-tenant-default', 'prod'] },
    ]);
    const t = terms(object);
    expect(t[1]!.namespaceSelector).toEqual({ matchLabels: { 'kplex.io/tenant': 'acme' } });
    // Host names the tenant typed are names of ITS cluster (which it does not have): placeholders.
    expect(t[0]!.namespaces![2]).toBe('acme-prod');
    expect(t[0]!.namespaces!.slice(0, 2).every((n) => n.startsWith('kplex-none-'))).toBe(true);
    expect(t[0]!.namespaceSelector!.matchLabels).toEqual({ team: 'a', 'kplex.io/tenant': 'acme' });
  });

  it('never lets a JSON patch set, remove or replace kplex.io keys', () => {
    const { object } = patchedForHost(target(DEPLOY), hostDeployment(), 'application/json-patch+json', [
      { op: 'add', path: '/metadata/labels/kplex.io~1tenant', value: 'victim' },
      { op: 'replace', path: '/metadata/labels', value: { app: 'web' } },
      { op: 'add', path: '/spec/template/metadata/labels/kplex.io~1namespace', value: 'x' },
      { op: 'remove', path: `${AFF}/0/namespaceSelector/matchLabels` },
    ]);
    expect(object.metadata!.labels).toEqual({ app: 'web', 'kplex.io/owner': 'kplex' });
    expect(
      (object as unknown as { spec: { template: { metadata: unknown } } }).spec.template.metadata,
    ).toEqual({
      labels: { app: 'web' },
    });
    expect(terms(object)[0]!.namespaceSelector).toEqual({ matchLabels: { 'kplex.io/tenant': 'acme' } });
  });

  it('tests JSON patch values against the tenant view (virtual namespace, no tenant term)', () => {
    const ok = patchedForHost(target(DEPLOY), hostDeployment(), 'application/json-patch+json', [
      { op: 'test', path: '/metadata/namespace', value: 'default' },
      { op: 'test', path: `${AFF}/0/namespaces`, value: ['prod'] },
      { op: 'test', path: `${AFF}/0/namespaceSelector`, value: { matchLabels: { team: 'a' } } },
    ]);
    expect(ok.object.metadata!.namespace).toBe('acme-default');
    expect(() =>
      patchedForHost(target(DEPLOY), hostDeployment(), 'application/json-patch+json', [
        { op: 'test', path: '/metadata/labels/kplex.io~1owner', value: 'kplex' },
      ]),
    ).toThrow(StatusError);
  });

  it('rewrites merge patches: nulls cannot drop the tenant term or kplex keys', () => {
    const { object } = patchedForHost(target(DEPLOY), hostDeployment(), 'application/merge-patch+json', {
      metadata: { labels: { 'kplex.io/owner': null, 'kplex.io/tenant': 'victim', extra: 'y' } },
      spec: {
        template: {
          spec: {
            affinity: {
              podAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  { topologyKey: 'k', namespaceSelector: { matchLabels: { 'kplex.io/tenant': null } } },
                ],
              },
            },
          },
        },
      },
    });
    expect(object.metadata!.labels).toEqual({ app: 'web', extra: 'y', 'kplex.io/owner': 'kplex' });
    expect(terms(object)[0]!.namespaceSelector).toEqual({ matchLabels: { 'kplex.io/tenant': 'acme' } });
  });

  it('rewrites strategic merge patches with $patch: replace, $retainKeys and $setElementOrder', () => {
    const { object } = patchedForHost(
      target(DEPLOY),
      hostDeployment(),
      'application/strategic-merge-patch+json',
      {
        metadata: { labels: { $patch: 'replace', app: 'new' } },
        spec: {
          template: {
            spec: {
              affinity: {
                podAffinity: {
                  $retainKeys: ['requiredDuringSchedulingIgnoredDuringExecution'],
                  requiredDuringSchedulingIgnoredDuringExecution: [
                    {
                      topologyKey: 'k',
                      namespaceSelector: { $patch: 'replace' },
                      namespaces: ['other-default'],
                    },
                  ],
                },
              },
              '$setElementOrder/containers': [{ name: 'c' }],
            },
          },
        },
      },
    );
    expect(object.metadata!.labels).toEqual({ app: 'new', 'kplex.io/owner': 'kplex' });
    const t = terms(object)[0]!;
    expect(t.namespaceSelector).toEqual({ matchLabels: { 'kplex.io/tenant': 'acme' } });
    expect(t.namespaces![0]).toMatch(/^kplex-none-/);
  });

  it('reaches CronJob job templates and NetworkPolicy peers', () => {
    const cj = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'cj', namespace: 'acme-default', resourceVersion: '1' },
      spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { containers: [] } } } } },
    } as unknown as KubeObject;
    const { object } = patchedForHost(target(CRONJOB, 'cj'), cj, 'application/merge-patch+json', {
      spec: {
        jobTemplate: {
          metadata: { labels: { 'kplex.io/tenant': 'victim' } },
          spec: {
            template: {
              metadata: { annotations: { 'x.kplex.io/y': 'z' } },
              spec: {
                affinity: {
                  podAntiAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: [
                      { weight: 1, podAffinityTerm: { topologyKey: 'k', namespaceSelector: {} } },
                    ],
                  },
                },
              },
            },
          },
        },
      },
    });
    expect(JSON.stringify(object)).not.toContain('victim');
    expect(JSON.stringify(object)).not.toContain('x.kplex.io');
    expect(JSON.stringify(object)).toContain(
      '"namespaceSelector":{"matchLabels":{"kplex.io/tenant":"acme"}}',
    );
    const np = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'np', namespace: 'acme-default', resourceVersion: '1' },
      spec: { podSelector: {} },
    } as unknown as KubeObject;
    const patched = patchedForHost(target(NETPOL, 'np'), np, 'application/json-patch+json', [
      { op: 'add', path: '/spec/ingress', value: [{ from: [{ namespaceSelector: {} }] }] },
      { op: 'add', path: '/spec/egress', value: [{ to: [{ namespaceSelector: { matchExpressions: [] } }] }] },
    ]).object as unknown as { spec: { ingress: { from: Term[] }[]; egress: { to: Term[] }[] } };
    expect(patched.spec.ingress[0]!.from[0]!.namespaceSelector!.matchLabels).toEqual({
      'kplex.io/tenant': 'acme',
    });
    expect(patched.spec.egress[0]!.to[0]!.namespaceSelector!.matchLabels).toEqual({
      'kplex.io/tenant': 'acme',
    });
  });

  it("refuses a patch that renames the object or moves it to another namespace (the apiserver's checkName)", () => {
    const err = (p: unknown): StatusError => {
      try {
        patchedForHost(target(DEPLOY), hostDeployment(), 'application/merge-patch+json', p);
      } catch (e) {
        return e as StatusError;
      }
      throw new Error('no error');
    };
    expect(err({ metadata: { namespace: 'kube-system' } }).status).toMatchObject({
      code: 400,
      message: 'the namespace of the provided object does not match the namespace sent on the request',
    });
    expect(err({ metadata: { name: 'other' } }).status.message).toBe(
      'the name of the object (other) does not match the name on the URL (web)',
    );
  });

  it('pins an unconditional patch to the read; a patch with its own resourceVersion is a precondition', () => {
    const free = patchedForHost(target(DEPLOY), hostDeployment(), 'application/merge-patch+json', {
      metadata: { resourceVersion: null },
    });
    expect(free).toMatchObject({ pinned: false, object: { metadata: { resourceVersion: '42' } } });
    const pinned = patchedForHost(target(DEPLOY), hostDeployment(), 'application/merge-patch+json', {
      metadata: { resourceVersion: '7' },
    });
    expect(pinned).toMatchObject({ pinned: true, object: { metadata: { resourceVersion: '7' } } });
  });

  it('rewrites apply configurations as creates and checks their namespace', () => {
    const cfg = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', labels: { 'kplex.io/tenant': 'victim' } },
      spec: {
        template: {
          spec: {
            affinity: {
              podAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'k', namespaceSelector: {} }],
              },
            },
          },
        },
      },
    };
    applyConfigForHost(target(DEPLOY), cfg);
    expect(cfg.metadata).toEqual({ name: 'web', namespace: 'acme-default', labels: {} });
    expect(JSON.stringify(cfg)).toContain('"namespaceSelector":{"matchLabels":{"kplex.io/tenant":"acme"}}');
    expect(() =>
      applyConfigForHost(target(DEPLOY), { metadata: { name: 'web', namespace: 'acme-prod' } }),
    ).toThrow('the namespace of the provided object does not match the namespace sent on the request');
  });
});

describe('placeholders for namespaces without a host namespace', () => {
  it('read back as the virtual name, in fields and in messages', () => {
    const ph = map.hostRef('ghost');
    expect(ph).toMatch(/^kplex-none-/);
    const status = {
      kind: 'Status',
      message: `Event "e" is invalid: involvedObject.namespace: Invalid value: "${ph}": does not match event.namespace`,
      details: { causes: [{ message: `Invalid value: "${ph}"`, field: 'involvedObject.namespace' }] },
    };
    bodyToVirtual(status, map);
    expect(JSON.stringify(status)).not.toContain('kplex-none');
    expect(status.message).toContain('Invalid value: "ghost"');
    const ev = { kind: 'Event', metadata: { namespace: 'acme-default' }, involvedObject: { namespace: ph } };
    bodyToVirtual(ev, map);
    expect(ev).toMatchObject({ metadata: { namespace: 'default' }, involvedObject: { namespace: 'ghost' } });
    expect(textToVirtual(`namespaces "${ph}" not found`, map)).toBe('namespaces "ghost" not found');
  });
});

describe('label selectors naming kplex labels', () => {
  it('are judged as if those labels were absent', async () => {
    const { labelSelectorToHost } = await import('../../../src/rewrite/query-rewrite.js');
    expect(labelSelectorToHost('app=web,!kplex.io/tenant')).toBe('app=web');
    expect(labelSelectorToHost('kplex.io/tenant notin (a,b),app in (x,y)')).toBe('app in (x,y)');
    expect(labelSelectorToHost('a.kplex.io/x!=1')).toBe('');
    for (const sel of [
      'kplex.io/tenant=acme',
      'app=web,kplex.io/tenant in (a,b)',
      'kplex.io/namespace',
      'kplex.io/x>1',
    ])
      expect(labelSelectorToHost(sel)).toBe('kplex.io/none=a,kplex.io/none=b');
    expect(labelSelectorToHost('app in (a,b),tier!=db')).toBe('app in (a,b),tier!=db');
  });
});

describe('managedFields', () => {
  it("do not name kplex's hidden keys", () => {
    const obj = {
      metadata: {
        namespace: 'acme-default',
        labels: { app: 'x', 'kplex.io/hidden': 'y' },
        managedFields: [
          {
            manager: 'm',
            fieldsV1: {
              'f:metadata': { 'f:labels': { '.': {}, 'f:app': {}, 'f:kplex.io/hidden': {} } },
              'f:spec': { 'f:x': {} },
            },
          },
        ],
      },
    };
    bodyToVirtual(obj, map);
    expect(JSON.stringify(obj)).not.toContain('kplex.io');
    expect(obj.metadata.managedFields[0]!.fieldsV1['f:metadata']['f:labels']).toEqual({
      '.': {},
      'f:app': {},
    });
  });
});
