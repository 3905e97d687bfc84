import { describe, expect, it } from 'vitest';
import { ContinueSealer } from '../../../src/rewrite/continue-token.js';
import {
  NamespaceMap,
  fieldSelectorToHost,
  textToVirtual,
  unownedName,
} from '../../../src/rewrite/namespace-translator.js';
import { bodyToVirtual, objectToHost } from '../../../src/rewrite/object-rewrite.js';

const map = new NamespaceMap(
  'acme',
  new Map([
    ['default', 'acme-default'],
    ['prod', 'acme-prod-0123456789'],
  ]),
);

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web', 'kplex.io/tenant': 'evil' } },
  spec: {
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        affinity: {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              {
                namespaces: ['prod', 'ghost'],
                namespaceSelector: { matchLabels: { team: 'a' } },
                topologyKey: 'x',
              },
            ],
          },
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 1, podAffinityTerm: { namespaceSelector: {}, topologyKey: 'y' } },
            ],
          },
        },
      },
    },
  },
});

describe('object rewriting', () => {
  it('sends namespaces, namespace lists and selectors to the host side, ANDed with the tenant label', () => {
    const d = deployment();
    objectToHost(d, map, 'acme-default');
    expect(d.metadata.namespace).toBe('acme-default');
    expect(d.metadata.labels).toEqual({ app: 'web' }); // a tenant cannot set kplex's labels
    const aff = d.spec.template.spec.affinity;
    expect(aff.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]!.namespaces).toEqual([
      'acme-prod-0123456789',
      unownedName('acme', 'ghost'),
    ]);
    expect(aff.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]!.namespaceSelector).toEqual({
      matchLabels: { team: 'a', 'kplex.io/tenant': 'acme' },
    });
    expect(
      aff.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]!.podAffinityTerm
        .namespaceSelector,
    ).toEqual({ matchLabels: { 'kplex.io/tenant': 'acme' } });
  });

  it("fences namespace selectors by the tenant's UID too, and hides both labels on the way back", () => {
    const withUid = new NamespaceMap('acme', new Map([['default', 'acme-default']]), 0, 'uid-1');
    const d = deployment();
    d.spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]!.namespaces =
      [];
    objectToHost(d, withUid, 'acme-default');
    expect(
      d.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]!
        .podAffinityTerm.namespaceSelector,
    ).toEqual({ matchLabels: { 'kplex.io/tenant': 'acme', 'kplex.io/tenant-uid': 'uid-1' } });
    bodyToVirtual(d, withUid);
    expect(
      d.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]!
        .podAffinityTerm.namespaceSelector,
    ).toEqual({});
  });

  it('brings a host object back exactly as the tenant wrote it', () => {
    const d = deployment();
    (d.metadata as { labels: Record<string, string> }).labels = { app: 'web' };
    d.spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]!.namespaces =
      ['prod'];
    const original = JSON.parse(JSON.stringify(d)) as unknown;
    objectToHost(d, map, 'acme-default');
    (d.metadata as Record<string, unknown>)['selfLink'] =
      '/apis/apps/v1/namespaces/acme-default/deployments/web';
    bodyToVirtual(d, map);
    expect(d).toEqual(original);
  });

  it('rewrites lists, Tables, events and Status messages, and hides kplex labels', () => {
    const list = {
      kind: 'EventList',
      metadata: { resourceVersion: '5' },
      items: [
        {
          metadata: { namespace: 'acme-prod-0123456789', labels: { 'kplex.io/x': '1' } },
          involvedObject: { namespace: 'acme-prod-0123456789' },
          message: 'Successfully assigned acme-prod-0123456789/web-1 to node-0',
        },
      ],
    };
    bodyToVirtual(list, map);
    expect(list.items[0]).toEqual({
      metadata: { namespace: 'prod' },
      involvedObject: { namespace: 'prod' },
      message: 'Successfully assigned prod/web-1 to node-0',
    });
    const table = {
      kind: 'Table',
      metadata: {},
      rows: [{ cells: ['acme-default/x', 3], object: { metadata: { namespace: 'acme-default' } } }],
    };
    bodyToVirtual(table, map);
    expect(table.rows[0]).toEqual({
      cells: ['default/x', 3],
      object: { metadata: { namespace: 'default' } },
    });
    // kplex's own host objects (the CA ConfigMap tenant pods mount) are left out of lists and Tables.
    const hidden = { metadata: { name: 'kplex-root-ca.crt', labels: { 'kplex.io/hidden': 'true' } } };
    const withHidden = {
      kind: 'ConfigMapList',
      metadata: {},
      items: [hidden, { metadata: { name: 'mine' } }],
    };
    bodyToVirtual(withHidden, map);
    expect(withHidden.items).toEqual([{ metadata: { name: 'mine' } }]);
    const hiddenRows = {
      kind: 'Table',
      metadata: {},
      rows: [
        { cells: ['x'], object: hidden },
        { cells: ['mine'], object: {} },
      ],
    };
    bodyToVirtual(hiddenRows, map);
    expect(hiddenRows.rows).toEqual([{ cells: ['mine'], object: {} }]);
    const status = {
      kind: 'Status',
      message:
        'pods "x" is forbidden: unable to create new content in namespace acme-default because it is being terminated',
      details: { causes: [{ message: 'in acme-default' }] },
    };
    bodyToVirtual(status, map);
    expect(JSON.stringify(status)).not.toContain('acme-');
  });

  it('replaces whole host names only', () => {
    expect(textToVirtual('acme-default acme-defaults xacme-default acme-default/p', map)).toBe(
      'default acme-defaults xacme-default default/p',
    );
  });
});

describe('field selectors', () => {
  it('maps namespace terms to host names and leaves the rest', () => {
    expect(fieldSelectorToHost('metadata.namespace=default,status.phase!=Running', map)).toBe(
      'metadata.namespace=acme-default,status.phase!=Running',
    );
    expect(fieldSelectorToHost('metadata.namespace!=prod', map)).toBe(
      'metadata.namespace!=acme-prod-0123456789',
    );
    // A namespace the tenant does not have (or another tenant's host name) never matches a real one.
    expect(fieldSelectorToHost('metadata.namespace==other-default', map)).toBe(
      `metadata.namespace==${unownedName('acme', 'other-default')}`,
    );
  });
});

describe('continue tokens', () => {
  const sealer = new ContinueSealer();
  it('round-trips for the tenant that got it', () => {
    const t = sealer.seal('acme', { ns: 'prod', host: 'abc', rv: '42' });
    expect(sealer.open('acme', t)).toEqual({ ns: 'prod', host: 'abc', rv: '42' });
    expect(t).not.toContain('abc');
  });
  it('refuses another tenant, a tampered token and a forged one', () => {
    const t = sealer.seal('acme', { ns: 'prod', host: 'abc', rv: '42' });
    expect(() => sealer.open('other', t)).toThrow(/invalid continue token/);
    const raw = Buffer.from(t, 'base64url');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    expect(() => sealer.open('acme', raw.toString('base64url'))).toThrow(/invalid continue token/);
    const forged = Buffer.from(
      JSON.stringify({ v: 'meta.k8s.io/v1', rv: 1, start: 'other-default/' }),
    ).toString('base64url');
    expect(() => sealer.open('acme', forged)).toThrow(/invalid continue token/);
    expect(() => new ContinueSealer().open('acme', t)).toThrow(/invalid continue token/);
  });
});
