// [bodies] Request bodies and patches that try to reach outside the tenant: host namespaces in
// affinity terms, namespace selectors that match every tenant, kplex's own labels, objects moved
// to another namespace, dry runs with side effects. Each attack checks what the HOST stored.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { apiClient } from '../helpers/api-client.js';
import { attack, expectStatus, securityEnv, type SecurityEnv } from './harness.js';
import { Attacker, hostNamespaceOf, sleep } from './raw-scan.js';

const A = 'sb-a';
const B = 'sb-b';
const PARITY = 'sb-parity'; // a plain host namespace: what the apiserver answers the same request
const JSON_PATCH = 'application/json-patch+json';
const MERGE = 'application/merge-patch+json';
const SMP = 'application/strategic-merge-patch+json';
const APPLY = 'application/apply-patch+yaml';

type Obj = Record<string, unknown>;
type Term = { namespaces?: string[]; namespaceSelector?: { matchLabels?: Record<string, string> } };

const deployment = (name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 0,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [{ name: 'c', image: 'x' }],
        affinity: {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              {
                topologyKey: 'kubernetes.io/hostname',
                labelSelector: { matchLabels: { app: 'x' } },
                namespaces: ['default'],
              },
            ],
          },
        },
      },
    },
  },
});
const AFF = '/spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution';

describe('bodies and patches', () => {
  let s: SecurityEnv;
  let a: Attacker;
  let hostA = '';
  let hostB = '';

  /** The object as the host stores it. */
  const onHost = async (path: string): Promise<Obj> => {
    const r = await s.hostApi.request<Obj>(
      'GET',
      path.replace('/namespaces/default/', `/namespaces/${hostA}/`),
    );
    expect(r.status).toBe(200);
    return r.body;
  };
  const hostTerms = async (name: string): Promise<Term[]> => {
    const d = (await onHost(`/apis/apps/v1/namespaces/default/deployments/${name}`)) as {
      spec: {
        template: {
          spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: Term[] } } };
        };
      };
    };
    return d.spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  };
  /** Every namespace a term can match on the host is the attacker's own. */
  const expectContained = (terms: Term[]): void => {
    for (const t of terms) {
      for (const n of t.namespaces ?? []) expect(n === hostA || n.startsWith('kplex-none-'), n).toBe(true);
      if (t.namespaceSelector) expect(t.namespaceSelector.matchLabels?.['kplex.io/tenant']).toBe(A);
    }
  };
  const newDeployment = async (name: string): Promise<void> => {
    const r = await a.raw('POST', '/apis/apps/v1/namespaces/default/deployments', { body: deployment(name) });
    expect(r.status, r.text).toBe(201);
  };
  const patch = (path: string, type: string, body: unknown, query = ''): ReturnType<Attacker['raw']> =>
    a.raw('PATCH', `${path}${query}`, {
      body: typeof body === 'string' ? body : JSON.stringify(body),
      contentType: type,
    });

  beforeAll(async () => {
    s = await securityEnv([A, B]);
    a = new Attacker(s.api[A]!);
    for (const t of [A, B]) {
      const r = await s.api[t]!.request('POST', '/api/v1/namespaces/default/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `cm-${t}` },
      });
      expect(r.status).toBe(201);
    }
    hostA = (await hostNamespaceOf(s.hostApi, A, 'default'))!;
    hostB = (await hostNamespaceOf(s.hostApi, B, 'default'))!;
    expect(hostA && hostB).toBeTruthy();
    await s.hostApi.request('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: PARITY },
    });
  }, 120_000);
  afterAll(async () => {
    await s?.hostApi.request('DELETE', `/api/v1/namespaces/${PARITY}`);
    await s?.close();
  });

  attack(
    'bodies',
    "JSON patch of affinity namespaces naming another tenant's and the host's namespaces",
    async () => {
      await newDeployment('jp-ns');
      const r = await patch(`/apis/apps/v1/namespaces/default/deployments/jp-ns`, JSON_PATCH, [
        {
          op: 'replace',
          path: `${AFF}/0/namespaces`,
          value: [hostB, 'kube-system', 'kplex-system', 'default'],
        },
      ]);
      expect(r.status, r.text).toBe(200);
      const terms = await hostTerms('jp-ns');
      expect(terms[0]!.namespaces![3]).toBe(hostA);
      expectContained(terms);
    },
  );

  attack(
    'bodies',
    'JSON patch adding an empty namespaceSelector (every namespace of every tenant)',
    async () => {
      await newDeployment('jp-sel');
      const r = await patch(`/apis/apps/v1/namespaces/default/deployments/jp-sel`, JSON_PATCH, [
        {
          op: 'add',
          path: `${AFF}/-`,
          value: { topologyKey: 'kubernetes.io/hostname', namespaceSelector: {} },
        },
        {
          op: 'add',
          path: `${AFF}/0/namespaceSelector`,
          value: { matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] },
        },
      ]);
      expect(r.status, r.text).toBe(200);
      expectContained(await hostTerms('jp-sel'));
      // The tenant sees what it wrote, not kplex's term.
      const mine = JSON.stringify(r.json);
      expect(mine).not.toContain('kplex.io');
      expect(mine).toContain('"namespaceSelector":{}');
    },
  );

  attack(
    'bodies',
    "JSON patch removing or replacing kplex's tenant term of a namespaceSelector",
    async () => {
      await newDeployment('jp-rm');
      await patch(`/apis/apps/v1/namespaces/default/deployments/jp-rm`, JSON_PATCH, [
        { op: 'add', path: `${AFF}/0/namespaceSelector`, value: {} },
      ]);
      for (const ops of [
        [{ op: 'remove', path: `${AFF}/0/namespaceSelector/matchLabels` }],
        [
          {
            op: 'replace',
            path: `${AFF}/0/namespaceSelector`,
            value: { matchLabels: { 'kplex.io/tenant': B } },
          },
        ],
        [{ op: 'move', from: `${AFF}/0/namespaceSelector`, path: '/metadata/annotations' }],
        [{ op: 'copy', from: '/metadata/labels', path: `${AFF}/0/namespaceSelector/matchLabels` }],
      ]) {
        const r = await patch(`/apis/apps/v1/namespaces/default/deployments/jp-rm`, JSON_PATCH, ops);
        expect([200, 422], r.text).toContain(r.status);
        expectContained(await hostTerms('jp-rm'));
      }
    },
  );

  attack(
    'bodies',
    'JSON patch setting kplex.io labels and annotations on an object and its pod template',
    async () => {
      await newDeployment('jp-lbl');
      const r = await patch(`/apis/apps/v1/namespaces/default/deployments/jp-lbl`, JSON_PATCH, [
        { op: 'add', path: '/metadata/labels', value: { 'kplex.io/tenant': B } },
        {
          op: 'add',
          path: '/metadata/annotations',
          value: { 'kplex.io/namespace': 'x', 'a.kplex.io/b': 'c' },
        },
        { op: 'add', path: '/spec/template/metadata/labels/kplex.io~1tenant', value: B },
      ]);
      expect(r.status, r.text).toBe(200);
      expect(JSON.stringify(await onHost('/apis/apps/v1/namespaces/default/deployments/jp-lbl'))).not.toMatch(
        /kplex\.io/,
      );
    },
  );

  attack('bodies', 'merge patch with nulls and kplex.io keys', async () => {
    await newDeployment('mp');
    const r = await patch(`/apis/apps/v1/namespaces/default/deployments/mp`, MERGE, {
      metadata: { labels: { 'kplex.io/tenant': B } },
      spec: {
        template: {
          metadata: { labels: { 'kplex.io/namespace': 'x' } },
          spec: {
            affinity: {
              podAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  {
                    topologyKey: 'k',
                    namespaces: [hostB],
                    namespaceSelector: { matchLabels: { 'kplex.io/tenant': null } },
                  },
                ],
              },
            },
          },
        },
      },
    });
    expect(r.status, r.text).toBe(200);
    expectContained(await hostTerms('mp'));
    expect(JSON.stringify(await onHost('/apis/apps/v1/namespaces/default/deployments/mp'))).not.toContain(
      `"kplex.io/tenant":"${B}"`,
    );
  });

  attack(
    'bodies',
    'strategic merge patch with $patch: replace, $retainKeys and $setElementOrder directives',
    async () => {
      await newDeployment('smp');
      const r = await patch(`/apis/apps/v1/namespaces/default/deployments/smp`, SMP, {
        metadata: { labels: { $patch: 'replace', 'kplex.io/tenant': B } },
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'c' }],
              affinity: {
                podAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: [
                    {
                      topologyKey: 'k',
                      namespaceSelector: { $patch: 'replace' },
                      namespaces: ['kube-system'],
                    },
                  ],
                },
                podAntiAffinity: {
                  preferredDuringSchedulingIgnoredDuringExecution: [
                    { weight: 1, podAffinityTerm: { topologyKey: 'k', namespaceSelector: {} } },
                  ],
                },
              },
            },
          },
        },
      });
      expect(r.status, r.text).toBe(200);
      const d = await onHost('/apis/apps/v1/namespaces/default/deployments/smp');
      expect(JSON.stringify(d)).not.toContain(`"kplex.io/tenant":"${B}"`);
      expectContained(await hostTerms('smp'));
      const anti = (
        d as {
          spec: {
            template: {
              spec: {
                affinity: {
                  podAntiAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: { podAffinityTerm: Term }[];
                  };
                };
              };
            };
          };
        }
      ).spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
      expectContained(anti.map((p) => p.podAffinityTerm));
    },
  );

  attack(
    'bodies',
    'server-side apply with an empty namespaceSelector, host namespaces and kplex.io labels',
    async () => {
      const cfg = deployment('ssa') as Obj & { metadata: Obj };
      cfg.metadata = { name: 'ssa', labels: { 'kplex.io/tenant': B } };
      (
        cfg as unknown as {
          spec: {
            template: {
              spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: Term[] } } };
            };
          };
        }
      ).spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution = [
        { namespaces: [hostB], namespaceSelector: {}, topologyKey: 'k' } as Term,
      ];
      const r = await patch(
        '/apis/apps/v1/namespaces/default/deployments/ssa',
        APPLY,
        cfg,
        '?fieldManager=attacker',
      );
      expect(r.status, r.text).toBe(201);
      expectContained(await hostTerms('ssa'));
      expect(JSON.stringify(await onHost('/apis/apps/v1/namespaces/default/deployments/ssa'))).not.toContain(
        `"kplex.io/tenant":"${B}"`,
      );
    },
  );

  attack(
    'bodies',
    'NetworkPolicy peers with namespaceSelector {} by create, JSON patch and merge patch',
    async () => {
      const np = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'np' },
        spec: { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] },
      };
      expect(
        (await a.raw('POST', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies', { body: np }))
          .status,
      ).toBe(201);
      const path = '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/np';
      expect(
        (
          await patch(path, JSON_PATCH, [
            { op: 'add', path: '/spec/egress', value: [{ to: [{ namespaceSelector: {} }] }] },
          ])
        ).status,
      ).toBe(200);
      expect(
        (
          await patch(path, MERGE, {
            spec: {
              ingress: [
                { from: [{ namespaceSelector: { matchLabels: null } }] },
                { from: [{ namespaceSelector: {} }] },
              ],
            },
          })
        ).status,
      ).toBe(200);
      const host = (await onHost(path)) as {
        spec: { ingress: { from: Term[] }[]; egress: { to: Term[] }[] };
      };
      const peers = [...host.spec.ingress.flatMap((i) => i.from), ...host.spec.egress.flatMap((e) => e.to)];
      expect(peers.length).toBe(3);
      expectContained(peers);
    },
  );

  attack('bodies', 'CronJob job template affinity and labels by strategic merge patch', async () => {
    const cj = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'cj' },
      spec: {
        schedule: '0 0 1 1 *',
        jobTemplate: {
          spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } },
        },
      },
    };
    expect((await a.raw('POST', '/apis/batch/v1/namespaces/default/cronjobs', { body: cj })).status).toBe(
      201,
    );
    const path = '/apis/batch/v1/namespaces/default/cronjobs/cj';
    const r = await patch(path, SMP, {
      spec: {
        jobTemplate: {
          metadata: { labels: { 'kplex.io/tenant': B } },
          spec: {
            template: {
              metadata: { labels: { 'kplex.io/tenant': B } },
              spec: {
                affinity: {
                  podAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: [
                      { topologyKey: 'k', namespaceSelector: {}, namespaces: [hostB] },
                    ],
                  },
                },
              },
            },
          },
        },
      },
    });
    expect(r.status, r.text).toBe(200);
    const host = (await onHost(path)) as {
      spec: {
        jobTemplate: {
          spec: {
            template: {
              spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: Term[] } } };
            };
          };
        };
      };
    };
    expectContained(
      host.spec.jobTemplate.spec.template.spec.affinity.podAffinity
        .requiredDuringSchedulingIgnoredDuringExecution,
    );
    expect(JSON.stringify(host)).not.toContain(`"kplex.io/tenant":"${B}"`);
  });

  attack(
    'bodies',
    'patches moving an object to another namespace are refused as the apiserver refuses them',
    async () => {
      const cmPath = (ns: string) => `/api/v1/namespaces/${ns}/configmaps/cm-${A}`;
      await s.hostApi.request('POST', `/api/v1/namespaces/${PARITY}/configmaps`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `cm-${A}` },
      });
      for (const [type, body] of [
        [MERGE, { metadata: { namespace: hostB } }],
        [JSON_PATCH, [{ op: 'replace', path: '/metadata/namespace', value: hostB }]],
        [SMP, { metadata: { namespace: hostB } }],
      ] as const) {
        const r = await patch(cmPath('default'), type, body);
        const host = await s.hostApi.request<{ message: string }>('PATCH', cmPath(PARITY), body, type);
        expectStatus(r, 400, 'BadRequest');
        expect((r.json as { message: string }).message).toBe(host.body.message.replace(PARITY, 'default'));
      }
      expect((await s.hostApi.request('GET', `/api/v1/namespaces/${hostB}/configmaps/cm-${A}`)).status).toBe(
        404,
      );
    },
  );

  attack('bodies', 'create and apply with metadata.namespace of another tenant', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'intruder', namespace: hostB } };
    const both = async (method: string, path: string, type = 'application/json') => {
      const r = await a.raw(method, path.replace('{ns}', 'default'), { body: cm, contentType: type });
      const host = await s.hostApi.request<{ message: string }>(
        method as 'GET',
        path.replace('{ns}', PARITY),
        cm,
        type,
      );
      expectStatus(r, 400, 'BadRequest');
      expect((r.json as { message: string }).message).toBe(host.body.message.replaceAll(PARITY, 'default'));
    };
    await both('POST', '/api/v1/namespaces/{ns}/configmaps');
    await both('PATCH', '/api/v1/namespaces/{ns}/configmaps/intruder?fieldManager=x', APPLY);
    await both('PUT', '/api/v1/namespaces/{ns}/configmaps/intruder');
    expect((await s.hostApi.request('GET', `/api/v1/namespaces/${hostB}/configmaps/intruder`)).status).toBe(
      404,
    );
  });

  attack(
    'bodies',
    "generateName and names built from another tenant's host namespace stay in the attacker's namespace",
    async () => {
      const r = await a.raw('POST', '/api/v1/namespaces/default/configmaps', {
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: `${hostB}-` } },
      });
      expect(r.status).toBe(201);
      const name = (r.json as { metadata: { name: string; namespace: string } }).metadata;
      expect(name.namespace).toBe('default');
      expect(
        (await s.hostApi.request('GET', `/api/v1/namespaces/${hostA}/configmaps/${name.name}`)).status,
      ).toBe(200);
      expect(
        (await s.hostApi.request('GET', `/api/v1/namespaces/${hostB}/configmaps/${name.name}`)).status,
      ).toBe(404);
    },
  );

  attack(
    'bodies',
    'duplicate metadata.namespace keys cannot smuggle an object into another namespace',
    async () => {
      for (const body of [
        `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","namespace":"default","namespace":"${hostB}"}}`,
        `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","namespace":"${hostB}","namespace":"default"}}`,
      ]) {
        for (const q of ['', '?fieldValidation=Strict', '?fieldValidation=Ignore']) {
          const r = await a.raw('POST', `/api/v1/namespaces/default/configmaps${q}`, { body });
          expect([201, 400, 409], r.text).toContain(r.status);
        }
      }
      expect((await s.hostApi.request('GET', `/api/v1/namespaces/${hostB}/configmaps/dup`)).status).toBe(404);
    },
  );

  attack(
    'bodies',
    'ownerReferences with blockOwnerDeletion to host view objects (a Node) by create and by patch',
    async () => {
      // A host node's name and uid (a tenant sees only the nodes of its pods; the attack assumes it learnt one).
      const nodes = (await s.hostApi.request('GET', '/api/v1/nodes')).body as {
        items: { metadata: { name: string; uid: string } }[];
      };
      const node = nodes.items[0]!.metadata;
      const ref = {
        apiVersion: 'v1',
        kind: 'Node',
        name: node.name,
        uid: node.uid,
        blockOwnerDeletion: true,
      };
      const cm = (name: string, refs: unknown[]) => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, ownerReferences: refs, finalizers: ['example.com/hold'] },
      });
      expectStatus(
        await a.raw('POST', '/api/v1/namespaces/default/configmaps', { body: cm('owned', [ref]) }),
        403,
        'Forbidden',
      );
      expectStatus(
        await patch(`/api/v1/namespaces/default/configmaps/cm-${A}`, MERGE, {
          metadata: { ownerReferences: [ref] },
        }),
        403,
        'Forbidden',
      );
      expectStatus(
        await patch(`/api/v1/namespaces/default/configmaps/cm-${A}`, JSON_PATCH, [
          { op: 'add', path: '/metadata/ownerReferences', value: [ref] },
        ]),
        403,
        'Forbidden',
      );
      expect((await s.hostApi.request('GET', `/api/v1/namespaces/${hostA}/configmaps/owned`)).status).toBe(
        404,
      );
      // A reference that does not block is the tenant's own business (its object goes with the node).
      const plain = await a.raw('POST', '/api/v1/namespaces/default/configmaps', {
        body: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'owned-plain', ownerReferences: [{ ...ref, blockOwnerDeletion: false }] },
        },
      });
      expect(plain.status, plain.text).toBe(201);
    },
  );

  attack('bodies', 'a body over 3 MiB is refused before any host call', async () => {
    const big = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'big' },
      data: { x: 'y'.repeat(3 * 1024 * 1024 + 10) },
    });
    expectStatus(await a.raw('POST', '/api/v1/namespaces/default/configmaps', { body: big }), 413);
    expectStatus(await patch('/api/v1/namespaces/default/configmaps/big', MERGE, big), 413);
  });

  attack('bodies', 'JSON patches the apiserver refuses are refused with its code and message', async () => {
    const ops10001 = Array.from({ length: 10001 }, () => ({
      op: 'test',
      path: '/metadata/name',
      value: `cm-${A}`,
    }));
    for (const [type, body] of [
      [JSON_PATCH, ops10001],
      [JSON_PATCH, [{ op: 'test', path: '/data/none', value: 'x' }]],
      [JSON_PATCH, [{ op: 'bogus', path: '/data' }]],
      [JSON_PATCH, { op: 'add' }],
      [MERGE, ['not', 'a', 'map']],
      ['application/x-unknown-patch', {}],
    ] as const) {
      const r = await patch(`/api/v1/namespaces/default/configmaps/cm-${A}`, type, body);
      const host = await s.hostApi.request<{ code: number; reason: string; message: string }>(
        'PATCH',
        `/api/v1/namespaces/${PARITY}/configmaps/cm-${A}`,
        body,
        type,
      );
      expect(
        { status: r.status, reason: (r.json as Obj)['reason'] },
        `${type} ${JSON.stringify(body).slice(0, 80)} host: ${JSON.stringify(host.body)}`,
      ).toEqual({
        status: host.status,
        reason: host.body.reason,
      });
      expect((r.json as { message: string }).message).toBe(host.body.message.replaceAll(PARITY, 'default'));
    }
  });

  attack(
    'bodies',
    'patches with unknown and duplicate fields under each fieldValidation directive, as on the host',
    async () => {
      const hostRaw = async (path: string, body: string, type: string) => {
        const res = await s.hostApi.dispatcher.request({
          origin: s.hostApi.origin,
          path: s.hostApi.basePath + path,
          method: 'PATCH',
          headers: s.hostApi.headers({ accept: 'application/json', 'content-type': type }),
          body,
        });
        return {
          status: res.statusCode,
          warning: res.headers['warning'],
          body: (await res.body.json()) as { message?: string },
        };
      };
      await s.hostApi.request('POST', `/api/v1/namespaces/${PARITY}/configmaps`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `cm-${A}` },
      });
      const diffs: string[] = [];
      for (const type of [MERGE, SMP, JSON_PATCH]) {
        const bodies =
          type === JSON_PATCH
            ? [
                '[{"op":"add","path":"/data2","value":{"a":"1"}}]',
                '[{"op":"add","path":"/data","value":{"a":"1"},"op":"replace"}]',
              ]
            : ['{"data2":{"a":"1"}}', '{"data":{"a":"1"},"data":{"b":"2"}}'];
        for (const body of bodies)
          for (const fv of ['Strict', 'Warn', 'Ignore']) {
            const q = `?fieldValidation=${fv}&dryRun=All`;
            const r = await patch(`/api/v1/namespaces/default/configmaps/cm-${A}`, type, body, q);
            const host = await hostRaw(`/api/v1/namespaces/${PARITY}/configmaps/cm-${A}${q}`, body, type);
            const what = `${type} ${body} ${fv}: host ${host.status} ${JSON.stringify(host.body.message ?? '')} ${String(host.warning ?? '')}`;
            const mine = `kplex ${r.status} ${JSON.stringify((r.json as { message?: string }).message ?? '')} ${String(r.headers['warning'] ?? '')}`;
            // The patched object in a strict error names its own uid, version and time: blank those.
            const norm = (m: string | undefined) =>
              (m ?? '')
                .replaceAll(PARITY, 'default')
                .replace(/\\"(uid|resourceVersion|creationTimestamp)\\":\\"[^\\"]*\\"/g, '$1');
            if (
              r.status !== host.status ||
              String(r.headers['warning'] ?? '') !== String(host.warning ?? '') ||
              norm((r.json as { message?: string }).message) !== norm(host.body.message)
            )
              diffs.push(`${what}\n   ${mine}`);
          }
      }
      expect(diffs).toEqual([]);
    },
  );

  attack('bodies', 'a patch with a stale resourceVersion is a conflict, not a silent overwrite', async () => {
    const r = await patch(`/api/v1/namespaces/default/configmaps/cm-${A}`, MERGE, {
      metadata: { resourceVersion: '1' },
      data: { x: 'y' },
    });
    expectStatus(r, 409, 'Conflict');
    expect(JSON.stringify(await onHost(`/api/v1/namespaces/default/configmaps/cm-${A}`))).not.toContain(
      '"x":"y"',
    );
  });

  attack(
    'bodies',
    "dry-run writes in a namespace without a host namespace yet (a fresh tenant's default) create nothing on the host",
    async () => {
      const kc = await s.env.tenant('sb-fresh');
      const fresh = new Attacker(await apiClient(kc));
      try {
        const writes = [
          await fresh.raw('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', {
            body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } },
          }),
          await fresh.raw('POST', '/apis/apps/v1/namespaces/default/deployments?dryRun=All', {
            body: deployment('dry'),
          }),
          await fresh.raw('POST', '/api/v1/namespaces/default/services?dryRun=All', {
            body: {
              apiVersion: 'v1',
              kind: 'Service',
              metadata: { name: 'dry' },
              spec: { ports: [{ port: 80 }] },
            },
          }),
          await fresh.raw('PATCH', '/api/v1/namespaces/default/configmaps/dry?dryRun=All&fieldManager=x', {
            body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } },
            contentType: APPLY,
          }),
        ];
        for (const r of writes) {
          expect(r.status, r.text).toBe(201);
          expect((r.json as { metadata: { namespace: string } }).metadata.namespace).toBe('default');
        }
        // What cannot exist yet is not found, as the apiserver answers.
        expectStatus(
          await fresh.raw('PATCH', '/api/v1/namespaces/default/configmaps/dry?dryRun=All', {
            body: { data: { a: 'b' } },
            contentType: MERGE,
          }),
          404,
          'NotFound',
        );
        expectStatus(
          await fresh.raw('DELETE', '/api/v1/namespaces/default/configmaps/dry?dryRun=All'),
          404,
          'NotFound',
        );
        expectStatus(
          await fresh.raw('PUT', '/api/v1/namespaces/default/configmaps/dry?dryRun=All', {
            body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } },
          }),
          404,
          'NotFound',
        );
        // dryRun values the host might not read as a dry run never reach the shared stand-in namespace.
        for (const q of ['dryRun=', 'dryRun=foo', 'dryRun=All&dryRun=']) {
          const r = await fresh.raw('POST', `/api/v1/namespaces/default/configmaps?${q}`, {
            body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry-odd' } },
          });
          expect(r.status, `${q}: ${r.text}`).not.toBe(500);
        }
        const standIn = await s.hostApi.request<{ items: { metadata: { name: string } }[] }>(
          'GET',
          '/api/v1/namespaces/kplex-dry-run/configmaps',
        );
        expect(
          (standIn.body.items ?? []).map((i) => i.metadata.name).filter((n) => n.startsWith('dry')),
        ).toEqual([]);
        expect(await hostNamespaceOf(s.hostApi, 'sb-fresh', 'default')).toBeUndefined();
        expect(fresh.seen.join('\n')).not.toMatch(/kplex-(dry-run|none)/);
      } finally {
        await fresh.api.close();
      }
    },
  );

  attack('bodies', 'a dry-run namespace create makes no host namespace', async () => {
    const r = await a.raw('POST', '/api/v1/namespaces?dryRun=All', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dry-ns' } },
    });
    expect(r.status, r.text).toBe(201);
    await sleep(1000);
    expect(await hostNamespaceOf(s.hostApi, A, 'dry-ns')).toBeUndefined();
    expectStatus(await a.raw('GET', '/api/v1/namespaces/dry-ns'), 404, 'NotFound');
  });
  attack('bodies', 'dry-run patch and delete of an existing object change nothing on the host', async () => {
    const path = `/api/v1/namespaces/default/configmaps/cm-${A}`;
    const before = await onHost(path);
    for (const [type, body] of [
      [JSON_PATCH, [{ op: 'add', path: '/data', value: { dry: 'run' } }]],
      [MERGE, { data: { dry: 'run' } }],
      [SMP, { data: { dry: 'run' } }],
    ] as const) {
      const r = await patch(path, type, body, '?dryRun=All');
      expect(r.status, r.text).toBe(200);
      expect((r.json as { data: Obj }).data).toEqual({ dry: 'run' });
    }
    expect((await a.raw('DELETE', `${path}?dryRun=All`)).status).toBe(200);
    const after = await onHost(path);
    expect(after).toEqual(before);
  });

  attack(
    'bodies',
    'CRDs in *.k8s.io and *.kubernetes.io groups need api-approved.kubernetes.io, as on the host',
    async () => {
      const crd = (group: string, approval?: string) => ({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: {
          name: `widgets.${group}`,
          ...(approval !== undefined ? { annotations: { 'api-approved.kubernetes.io': approval } } : {}),
        },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
          versions: [
            { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } },
          ],
        },
      });
      const path = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
      for (const [group, approval] of [
        ['sb.k8s.io', undefined],
        ['k8s.io', undefined],
        ['sb2.kubernetes.io', 'not a url'],
        ['sb3.x.k8s.io', ''],
      ] as const) {
        const r = await a.raw('POST', `${path}?dryRun=All`, { body: crd(group, approval) });
        const host = await s.hostApi.request<{ message: string; details: unknown }>(
          'POST',
          `${path}?dryRun=All`,
          crd(group, approval),
        );
        expect(host.status).toBe(422);
        expectStatus(r, 422, 'Invalid');
        expect((r.json as { message: string }).message).toBe(host.body.message);
        expect((r.json as { details: unknown }).details).toEqual(host.body.details);
      }
      for (const approval of [
        'https://github.com/kubernetes/enhancements/pull/1111',
        'unapproved, testing only',
      ]) {
        const r = await a.raw('POST', `${path}?dryRun=All`, { body: crd('sb4.k8s.io', approval) });
        expect(r.status, r.text).toBe(201);
      }
    },
  );
});
