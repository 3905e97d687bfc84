// The namespace translator over every host-backed kind: each kind's namespace-bearing fields (the
// data table) are translated to exactly the host form and back, host(virtual(x)) = x and
// virtual(host(x)) = x, through every write form (create/update, JSON/merge/strategic patch, apply).
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/api/object.js';
import { applyConfigForHost, patchedForHost, type PatchTarget } from '../../../src/host/host-patch.js';
import type { ResourceInfo } from '../../../src/resources/types.js';
import { HOST_PLACEMENT } from '../../../src/resources/host-placement.js';
import { visitPath } from '../../../src/rewrite/field-paths.js';
import { NAMESPACE_FIELDS } from '../../../src/rewrite/namespace-fields.js';
import {
  LABEL_TENANT,
  LABEL_TENANT_UID,
  NamespaceMap,
  fieldSelectorToHost,
  serviceAccountToVirtual,
  unownedName,
} from '../../../src/rewrite/namespace-translator.js';
import { bodyToVirtual, objectToHost } from '../../../src/rewrite/object-rewrite.js';

const UID = '5d0c3a4e-0000-4000-8000-00000000000a';
/** `other` has a hashed host name (its readable one was taken): nothing is parsed from names. */
const map = new NamespaceMap(
  'acme',
  new Map([
    ['app', 'acme-app'],
    ['default', 'acme-default'],
    ['other', 'acme-other-7f3a9c01de'],
  ]),
  0,
  UID,
);

/** How one side names things: namespaces, and namespace selectors (the host's carry the tenant's labels). */
interface Naming {
  ns: (virtual: string) => string;
  sel: (matchLabels?: Record<string, string>) => Record<string, unknown>;
}
const ANY_PROD = { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] };
const V: Naming = {
  ns: (v) => v,
  sel: (l) => (l ? { matchLabels: l } : { ...ANY_PROD }),
};
const H: Naming = {
  ns: (v) => map.hostOf(v) ?? unownedName('acme', v),
  sel: (l) => ({
    ...(l ? {} : ANY_PROD),
    matchLabels: { ...l, [LABEL_TENANT]: 'acme', [LABEL_TENANT_UID]: UID },
  }),
};
const b64 = (s: string) => Buffer.from(s).toString('base64');
// The placeholder of `ghost` (no host namespace) is remembered as the translator hands it out.
map.hostRef('ghost');

const term = (n: Naming, ns: string[], sel?: Record<string, string>) => ({
  labelSelector: { matchLabels: { app: 'db' } },
  topologyKey: 'kubernetes.io/hostname',
  namespaces: ns.map(n.ns),
  namespaceSelector: n.sel(sel),
});
const affinity = (n: Naming) => ({
  podAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: [term(n, ['default', 'ghost'], { team: 'a' })],
    preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term(n, ['other']) }],
  },
  podAntiAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: [term(n, ['app'])],
    preferredDuringSchedulingIgnoredDuringExecution: [
      { weight: 5, podAffinityTerm: term(n, ['default'], { tier: 'cache' }) },
    ],
  },
});
const podSpec = (n: Naming) => ({ containers: [{ name: 'c', image: 'nginx:1.27' }], affinity: affinity(n) });
const template = (n: Naming) => ({ metadata: { labels: { app: 'web' } }, spec: podSpec(n) });
const ref = (n: Naming, kind: string, ns: string, name: string) => ({ kind, namespace: n.ns(ns), name });

interface Sample {
  group: string;
  version: string;
  kind: string;
  resource: string;
  namespaced?: false;
  build: (n: Naming) => Record<string, unknown>;
}

const workload = (
  group: string,
  kind: string,
  resource: string,
  extra: (n: Naming) => object = () => ({}),
): Sample => ({
  group,
  version: 'v1',
  kind,
  resource,
  build: (n) => ({
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template(n), ...extra(n) },
  }),
});

/** Realistic objects of every host-backed kind, built for either side. */
const SAMPLES: Sample[] = [
  { group: '', version: 'v1', kind: 'Pod', resource: 'pods', build: (n) => ({ spec: podSpec(n) }) },
  {
    group: '',
    version: 'v1',
    kind: 'PodTemplate',
    resource: 'podtemplates',
    build: (n) => ({ template: template(n) }),
  },
  workload('', 'ReplicationController', 'replicationcontrollers'),
  workload('apps', 'Deployment', 'deployments'),
  workload('apps', 'ReplicaSet', 'replicasets'),
  workload('apps', 'DaemonSet', 'daemonsets'),
  workload('apps', 'StatefulSet', 'statefulsets', (n) => ({
    serviceName: 'web',
    volumeClaimTemplates: [
      {
        metadata: { name: 'data', labels: { app: 'web' } },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: '1Gi' } },
          dataSourceRef: {
            kind: 'VolumeSnapshot',
            apiGroup: 'snapshot.storage.k8s.io',
            name: 'snap',
            namespace: n.ns('other'),
          },
        },
      },
    ],
  })),
  {
    group: 'batch',
    version: 'v1',
    kind: 'Job',
    resource: 'jobs',
    build: (n) => ({ spec: { backoffLimit: 3, template: template(n) } }),
  },
  {
    group: 'batch',
    version: 'v1',
    kind: 'CronJob',
    resource: 'cronjobs',
    build: (n) => ({
      spec: {
        schedule: '*/5 * * * *',
        jobTemplate: { metadata: { labels: { job: 'nightly' } }, spec: { template: template(n) } },
      },
    }),
  },
  {
    group: '',
    version: 'v1',
    kind: 'Binding',
    resource: 'bindings',
    build: (n) => ({
      target: { apiVersion: 'v1', kind: 'Node', name: 'node-1', namespace: n.ns('default') },
    }),
  },
  {
    group: '',
    version: 'v1',
    kind: 'Event',
    resource: 'events',
    build: (n) => ({
      involvedObject: { ...ref(n, 'Pod', 'app', 'web-1'), uid: 'u1' },
      related: ref(n, 'Node', 'default', 'node-1'),
      reason: 'Scheduled',
      type: 'Normal',
      count: 1,
    }),
  },
  {
    group: 'events.k8s.io',
    version: 'v1',
    kind: 'Event',
    resource: 'events',
    build: (n) => ({
      regarding: ref(n, 'Pod', 'app', 'web-1'),
      related: ref(n, 'PersistentVolumeClaim', 'other', 'data'),
      reason: 'Pulled',
      action: 'Pulling',
      type: 'Normal',
      eventTime: '2026-12-01T03:00:00.000000Z',
      reportingController: 'kubelet',
      reportingInstance: 'node-1',
    }),
  },
  {
    group: '',
    version: 'v1',
    kind: 'Endpoints',
    resource: 'endpoints',
    build: (n) => ({
      subsets: [
        {
          addresses: [{ ip: '10.0.0.1', targetRef: ref(n, 'Pod', 'app', 'web-1') }],
          notReadyAddresses: [{ ip: '10.0.0.2', targetRef: ref(n, 'Pod', 'ghost', 'web-2') }],
          ports: [{ port: 80, protocol: 'TCP' }],
        },
      ],
    }),
  },
  {
    group: 'discovery.k8s.io',
    version: 'v1',
    kind: 'EndpointSlice',
    resource: 'endpointslices',
    build: (n) => ({
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'], targetRef: ref(n, 'Pod', 'app', 'web-1') }],
      ports: [{ port: 80 }],
    }),
  },
  {
    group: '',
    version: 'v1',
    kind: 'PersistentVolume',
    resource: 'persistentvolumes',
    namespaced: false,
    build: (n) => ({
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        claimRef: ref(n, 'PersistentVolumeClaim', 'app', 'data'),
      },
    }),
  },
  {
    group: '',
    version: 'v1',
    kind: 'PersistentVolumeClaim',
    resource: 'persistentvolumeclaims',
    build: (n) => ({
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        dataSourceRef: {
          kind: 'VolumeSnapshot',
          apiGroup: 'snapshot.storage.k8s.io',
          name: 's',
          namespace: n.ns('default'),
        },
      },
    }),
  },
  {
    group: 'autoscaling',
    version: 'v2',
    kind: 'HorizontalPodAutoscaler',
    resource: 'horizontalpodautoscalers',
    build: (n) => ({
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: n.ns('app') },
        minReplicas: 1,
        maxReplicas: 3,
      },
    }),
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'NetworkPolicy',
    resource: 'networkpolicies',
    build: (n) => ({
      spec: {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [
              { namespaceSelector: n.sel({ team: 'a' }) },
              { podSelector: { matchLabels: { app: 'x' } } },
            ],
          },
        ],
        egress: [{ to: [{ namespaceSelector: n.sel(), podSelector: { matchLabels: { app: 'db' } } }] }],
      },
    }),
  },
  {
    group: '',
    version: 'v1',
    kind: 'ServiceAccount',
    resource: 'serviceaccounts',
    build: (n) => ({ secrets: [{ name: 'robot-token', namespace: n.ns('app') }] }),
  },
  {
    group: '',
    version: 'v1',
    kind: 'Secret',
    resource: 'secrets',
    build: (n) => ({
      type: 'kubernetes.io/service-account-token',
      metadata: { annotations: { 'kubernetes.io/service-account.name': 'robot' } },
      data: { namespace: b64(n.ns('app')), 'ca.crt': b64('pem') },
    }),
  },
  // Host-backed kinds whose only namespace is their own.
  ...(
    [
      ['', 'ConfigMap', 'configmaps', { data: { k: 'v' } }],
      ['', 'Secret', 'secrets', { type: 'Opaque', data: { namespace: b64('default') } }],
      ['', 'Service', 'services', { spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }],
      ['', 'LimitRange', 'limitranges', { spec: { limits: [{ type: 'Container' }] } }],
      ['', 'ResourceQuota', 'resourcequotas', { spec: { hard: { pods: '10' } } }],
      ['apps', 'ControllerRevision', 'controllerrevisions', { revision: 1 }],
      ['coordination.k8s.io', 'Lease', 'leases', { spec: { holderIdentity: 'x' } }],
      [
        'networking.k8s.io',
        'Ingress',
        'ingresses',
        { spec: { defaultBackend: { resource: { kind: 'Bucket', name: 'b' } } } },
      ],
      ['policy', 'PodDisruptionBudget', 'poddisruptionbudgets', { spec: { minAvailable: 1 } }],
    ] as const
  ).map(([group, kind, resource, body]) => ({
    group,
    version: 'v1',
    kind,
    resource,
    build: () => structuredClone(body) as Record<string, unknown>,
  })),
];

/** The whole object as one side sees it: apiVersion, kind, metadata (namespace `app`). */
function objectOf(s: Sample, n: Naming): KubeObject {
  const { metadata, ...rest } = s.build(n) as { metadata?: object };
  return {
    apiVersion: s.group ? `${s.group}/${s.version}` : s.version,
    kind: s.kind,
    metadata: { name: 'obj', ...(s.namespaced === false ? {} : { namespace: n.ns('app') }), ...metadata },
    ...rest,
  } as KubeObject;
}

const hostNs = (s: Sample) => (s.namespaced === false ? undefined : 'acme-app');
const toHost = (s: Sample, o: KubeObject) => {
  const c = structuredClone(o);
  objectToHost(c, map, hostNs(s));
  return c;
};
const toVirtual = (o: KubeObject) => {
  const c = structuredClone(o);
  bodyToVirtual(c, map);
  return c;
};
const rowOf = (s: Sample): ResourceInfo =>
  ({
    group: s.group,
    version: s.version,
    kind: s.kind,
    resource: s.resource,
    namespaced: s.namespaced !== false,
  }) as unknown as ResourceInfo;
const target = (s: Sample): PatchTarget => ({
  row: rowOf(s),
  subresource: undefined,
  namespace: 'app',
  name: 'obj',
  hostNamespace: 'acme-app',
  map,
});

const label = { metadata: { labels: { patched: 'yes' } } };
const withLabel = (o: KubeObject): KubeObject => {
  const c = structuredClone(o);
  c.metadata = { ...c.metadata, labels: { ...c.metadata?.labels, patched: 'yes' } };
  return c;
};

describe('the namespace field table', () => {
  it('names only kinds a sample covers, and every path of each kind is set by its sample', () => {
    for (const [kind, fields] of Object.entries(NAMESPACE_FIELDS)) {
      const samples = SAMPLES.filter((s) => s.kind === kind);
      expect(samples.length, kind).toBeGreaterThan(0);
      const paths = [
        ...(fields.names ?? []),
        ...(fields.lists ?? []),
        ...(fields.selectors ?? []),
        ...(fields.encoded?.paths ?? []),
        ...(fields.templateMetadata ?? []),
      ];
      for (const p of paths) {
        let hits = 0;
        for (const s of samples) visitPath(objectOf(s, V), p, () => hits++);
        expect(hits, `${kind} ${p}`).toBeGreaterThan(0);
      }
    }
  });

  it('every host-backed resource has a sample', () => {
    const hostRows = Object.entries(HOST_PLACEMENT).filter(([, p]) => p !== 'virtual' && p !== 'refused');
    const views = new Set(['/nodes', '/componentstatuses']);
    for (const [gr] of hostRows) {
      if (views.has(gr)) continue; // cluster-scoped views with no namespace field at all
      expect(
        SAMPLES.some((s) => `${s.group}/${s.resource}` === gr),
        gr,
      ).toBe(true);
    }
  });
});

describe.each(
  SAMPLES.map(
    (s) =>
      [
        `${s.group || 'core'}/${s.kind}${s.kind === 'Secret' ? ` (${String((s.build(V) as { type?: string }).type)})` : ''}`,
        s,
      ] as const,
  ),
)('round trip: %s', (_, s) => {
  const virtual = objectOf(s, V);
  const host = objectOf(s, H);

  it('create/update: the virtual object becomes exactly the host one, and back', () => {
    expect(toHost(s, virtual)).toEqual(host);
    expect(toVirtual(host)).toEqual(virtual);
  });

  it('host(virtual(x)) = x and virtual(host(x)) = x', () => {
    expect(toHost(s, toVirtual(host))).toEqual(host);
    expect(toVirtual(toHost(s, virtual))).toEqual(virtual);
  });

  it('apply configurations are translated as a create', () => {
    expect(applyConfigForHost(target(s), structuredClone(virtual))).toEqual(host);
  });

  it.each([
    ['application/merge-patch+json', label],
    ['application/strategic-merge-patch+json', label],
    ['application/json-patch+json', [{ op: 'add', path: '/metadata/labels', value: { patched: 'yes' } }]],
  ])('%s keeps every namespace field in host form', (mediaType, patch) => {
    if (s.namespaced === false) return; // a view: never written
    const current = structuredClone(host);
    if (mediaType === 'application/json-patch+json') delete current.metadata!.labels;
    const { object } = patchedForHost(target(s), current, mediaType, structuredClone(patch));
    expect(object).toEqual(withLabel(host));
  });
});

describe("kplex's keys in every template's metadata", () => {
  const cases = SAMPLES.flatMap((s) =>
    (NAMESPACE_FIELDS[s.kind]?.templateMetadata ?? []).map((p) => [s.kind, p, s] as const),
  );
  /** `o` with a kplex label (and a tenant label) in the metadata at `path`. */
  const marked = (o: KubeObject, path: string, key: string): KubeObject => {
    const c = structuredClone(o);
    visitPath(c, path, (parent, k) => {
      const m = parent[k] as { labels?: Record<string, string> };
      m.labels = { ...m.labels, [key]: 'x' };
    });
    return c;
  };

  it.each(cases)('%s %s: hidden on the way out, refused on the way in, kept by a patch', (_, path, s) => {
    const host = objectOf(s, H);
    const hostMarked = marked(host, path, 'kplex.io/owner');
    expect(toVirtual(hostMarked)).toEqual(objectOf(s, V));
    expect(toHost(s, marked(objectOf(s, V), path, 'kplex.io/owner'))).toEqual(host);
    if (path.includes('[]')) return; // list elements are not told apart: nothing kplex sets there
    const { object } = patchedForHost(
      target(s),
      structuredClone(hostMarked),
      'application/merge-patch+json',
      label,
    );
    expect(object).toEqual(withLabel(hostMarked));
  });
});

describe('names both ways', () => {
  it('references to a namespace without a host namespace go out as a placeholder and read back', () => {
    const ph = map.hostRef('ghost');
    expect(ph).toBe(unownedName('acme', 'ghost'));
    expect(map.virtualRef(ph)).toBe('ghost');
    expect(map.virtualOf(ph)).toBeUndefined(); // never an identity or a Secret's namespace
  });

  it('field selectors naming a namespace get host names', () => {
    expect(fieldSelectorToHost('involvedObject.namespace=default,reason=Failed', map)).toBe(
      'involvedObject.namespace=acme-default,reason=Failed',
    );
    expect(fieldSelectorToHost('regarding.namespace!=other', map)).toBe(
      'regarding.namespace!=acme-other-7f3a9c01de',
    );
  });

  it('host ServiceAccount identities map to the tenant only through its recorded namespaces', () => {
    expect(serviceAccountToVirtual('system:serviceaccount:acme-app:robot', map)).toEqual({
      username: 'system:serviceaccount:app:robot',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:app', 'system:authenticated'],
    });
    expect(serviceAccountToVirtual('system:serviceaccount:beta-app:robot', map)).toBeUndefined();
    expect(
      serviceAccountToVirtual(`system:serviceaccount:${unownedName('acme', 'ghost')}:robot`, map),
    ).toBeUndefined();
    expect(serviceAccountToVirtual('system:serviceaccount:acme-app:robot:x', map)).toBeUndefined();
    expect(serviceAccountToVirtual('system:node:acme-app', map)).toBeUndefined();
  });

  it("a token Secret's namespace naming no namespace of the tenant is dropped, never shown", () => {
    const s = {
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: { name: 't', namespace: 'acme-app' },
      data: { namespace: b64('beta-app') },
    };
    bodyToVirtual(s, map);
    expect(s.data).toEqual({});
  });

  it('a token Secret kplex re-signed before the inbound direction (virtual name on the host) reads as is', () => {
    const s = {
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: { name: 't', namespace: 'acme-app' },
      data: { namespace: b64('app') },
    };
    bodyToVirtual(s, map);
    expect(s.data).toEqual({ namespace: b64('app') });
  });
});
