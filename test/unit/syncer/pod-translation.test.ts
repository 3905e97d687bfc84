// The pod webhook's translation and the tenant's view of it: wired as an in-cluster client needs,
// idempotent, and undone exactly (the tenant reads what it wrote plus the ServiceAccount
// admission's volume, as on a real cluster).
import { describe, expect, it } from 'vitest';
import { parsePodAdmission, reviewResponse, translationPatch } from '../../../src/syncer/admission-review.js';
import { translatePod } from '../../../src/syncer/pod-translate.js';
import { podToVirtual } from '../../../src/syncer/pod-view.js';
import { injectedNameserver, hostFormUpdate } from '../../../src/syncer/pod-dns.js';
import { podDnsAddress, podEndpoints } from '../../../src/syncer/pod-syncer.js';
import { webhookConfiguration } from '../../../src/syncer/webhook-registration.js';
import { tenantFromCredential } from '../../../src/server/tenant-resolution.js';

const target = { tenant: 'acme', namespace: 'shop', apiHost: '10.96.0.42', apiPort: 443 };

/** A pod as the host's ServiceAccount admission hands it to the webhook. */
const admitted = () => ({
  metadata: { name: 'p', namespace: 'acme-shop', labels: { app: 'x' } },
  spec: {
    serviceAccountName: 'robot',
    containers: [
      {
        name: 'c',
        image: 'busybox',
        env: [
          { name: 'A', value: '$(KUBERNETES_SERVICE_HOST)' },
          { name: 'NS', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
        ],
        volumeMounts: [
          {
            name: 'kube-api-access-abcde',
            mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
            readOnly: true,
          },
        ],
      },
      { name: 'own', image: 'busybox', env: [{ name: 'KUBERNETES_SERVICE_HOST', value: 'mine' }] },
    ],
    initContainers: [{ name: 'i', image: 'busybox' }],
    volumes: [
      {
        name: 'kube-api-access-abcde',
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [
                  { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                ],
              },
            },
          ],
        },
      },
      { name: 'vault', projected: { sources: [{ serviceAccountToken: { audience: 'vault', path: 't' } }] } },
      {
        name: 'info',
        downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] },
      },
    ],
  },
});

type Any = Record<string, any>;

describe('pod translation', () => {
  it('wires env, token audience, CA and the virtual namespace', () => {
    const { pod, refused } = translatePod(admitted(), target, [
      'https://kubernetes.default.svc.cluster.local',
    ]);
    const p = pod as Any;
    expect(refused).toEqual([]);
    expect(p.metadata.annotations).toEqual({
      'kplex.io/namespace': 'shop',
      'kplex.io/api-host': '10.96.0.42',
      'kplex.io/api-port': '443',
    });
    const env = p.spec.containers[0].env as Any[];
    expect(env.slice(0, 3).map((e) => [e.name, e.valueFrom.fieldRef.fieldPath])).toEqual([
      ['KUBERNETES_SERVICE_HOST', "metadata.annotations['kplex.io/api-host']"],
      ['KUBERNETES_SERVICE_PORT', "metadata.annotations['kplex.io/api-port']"],
      ['KUBERNETES_SERVICE_PORT_HTTPS', "metadata.annotations['kplex.io/api-port']"],
    ]);
    expect(env[4]!.valueFrom.fieldRef.fieldPath).toBe("metadata.annotations['kplex.io/namespace']");
    // The tenant's own value wins; the others are still added.
    expect((p.spec.containers[1].env as Any[]).map((e) => e.name)).toEqual([
      'KUBERNETES_SERVICE_PORT',
      'KUBERNETES_SERVICE_PORT_HTTPS',
      'KUBERNETES_SERVICE_HOST',
    ]);
    expect(p.spec.initContainers[0].env).toHaveLength(3);
    const sources = p.spec.volumes[0].projected.sources as Any[];
    expect(sources[0]!.serviceAccountToken.audience).toBe('kplex:tenant:acme');
    expect(sources[1]!.configMap.name).toBe('kplex-root-ca.crt');
    expect(sources[2]!.downwardAPI.items[0].fieldRef.fieldPath).toBe(
      "metadata.annotations['kplex.io/namespace']",
    );
    expect(p.spec.volumes[1].projected.sources[0].serviceAccountToken.audience).toBe('vault');
    expect(p.spec.volumes[2].downwardAPI.items[0].fieldRef.fieldPath).toBe(
      "metadata.annotations['kplex.io/namespace']",
    );
  });

  it('is idempotent, and the tenant view translates back to the same host pod', () => {
    const once = translatePod(admitted(), target).pod;
    expect(translatePod(once, target).pod).toEqual(once);
    const view = structuredClone(once);
    podToVirtual(view, 'acme');
    const { annotations: _a, ...meta } = (view as Any).metadata;
    expect({ ...view, metadata: meta }).toEqual(admitted());
    expect(translatePod(view, target).pod).toEqual(once);
  });

  it('leaves pods kplex did not translate, and other tenants’ audiences, alone', () => {
    const plain = admitted();
    podToVirtual(plain, 'acme');
    expect(plain).toEqual(admitted());
    const other = translatePod(admitted(), { ...target, tenant: 'beta' }).pod;
    podToVirtual(other, 'acme');
    expect((other as Any).spec.volumes[0].projected.sources[0].serviceAccountToken.audience).toBe(
      'kplex:tenant:beta',
    );
  });

  it('refuses a projected token for an audience the host accepts', () => {
    const pod = admitted() as Any;
    pod.spec.volumes[1].projected.sources[0].serviceAccountToken.audience =
      'https://kubernetes.default.svc.cluster.local';
    expect(translatePod(pod, target, ['https://kubernetes.default.svc.cluster.local']).refused).toEqual([
      {
        field: 'spec.volumes[1].projected.sources[0].serviceAccountToken.audience',
        audience: 'https://kubernetes.default.svc.cluster.local',
      },
    ]);
  });
});

describe('pod DNS', () => {
  const dns = { ...target, dnsServer: '10.96.0.53' };
  const withDns = (spec: Any) => {
    const p = admitted() as Any;
    Object.assign(p.spec, spec);
    return p;
  };
  /** The tenant's view of a host pod, with the kplex.io/ annotations the generic rule drops. */
  const viewOf = (hostPod: Any): Any => {
    const v = structuredClone(hostPod);
    podToVirtual(v, 'acme');
    for (const k of Object.keys(v.metadata.annotations ?? {}))
      if (k.startsWith('kplex.io/')) delete v.metadata.annotations[k];
    if (v.metadata.annotations && !Object.keys(v.metadata.annotations).length) delete v.metadata.annotations;
    return v;
  };

  it("points a ClusterFirst pod at kplex's DNS with the virtual namespace's search list", () => {
    const p = translatePod(withDns({ dnsPolicy: 'ClusterFirst' }), dns).pod as Any;
    expect(p.spec.dnsPolicy).toBe('None');
    expect(p.spec.dnsConfig).toEqual({
      nameservers: ['10.96.0.53'],
      searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      options: [{ name: 'ndots', value: '5' }],
    });
    expect(JSON.parse(p.metadata.annotations['kplex.io/dns'])).toEqual({ dnsPolicy: 'ClusterFirst' });
    expect(injectedNameserver(p)).toBe('10.96.0.53');
    // Without a DNS address (no --dns-listen), the pod keeps the host's DNS.
    const off = translatePod(withDns({ dnsPolicy: 'ClusterFirst' }), target).pod as Any;
    expect(off.spec.dnsPolicy).toBe('ClusterFirst');
    expect(injectedNameserver(off)).toBeUndefined();
  });

  it('merges a ClusterFirst pod’s own dnsConfig as the kubelet does, within validation’s limits', () => {
    const own = {
      nameservers: ['1.1.1.1', '10.96.0.53', '8.8.8.8', '9.9.9.9'],
      searches: [
        'corp.example',
        'svc.cluster.local',
        ...Array.from({ length: 40 }, (_, i) => `s${i}.example`),
      ],
      options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
    };
    const p = translatePod(withDns({ dnsPolicy: 'ClusterFirst', dnsConfig: own }), dns).pod as Any;
    expect(p.spec.dnsConfig.nameservers).toEqual(['10.96.0.53', '1.1.1.1', '8.8.8.8']);
    expect(p.spec.dnsConfig.searches.slice(0, 4)).toEqual([
      'shop.svc.cluster.local',
      'svc.cluster.local',
      'cluster.local',
      'corp.example',
    ]);
    expect(p.spec.dnsConfig.searches).toHaveLength(32);
    expect(p.spec.dnsConfig.options).toEqual([{ name: 'ndots', value: '2' }, { name: 'edns0' }]);
    expect(viewOf(p).spec).toEqual(withDns({ dnsPolicy: 'ClusterFirst', dnsConfig: own }).spec);
  });

  it("keeps a pod's own resolver: dnsPolicy None, Default, and ClusterFirst on the host network", () => {
    for (const spec of [
      { dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'] } },
      { dnsPolicy: 'Default' },
      { dnsPolicy: 'ClusterFirst', hostNetwork: true },
    ]) {
      const p = translatePod(withDns(spec), dns).pod as Any;
      expect(p.spec).toMatchObject(spec);
      expect(p.metadata.annotations['kplex.io/dns']).toBeUndefined();
      expect(viewOf(p).spec).toEqual(withDns(spec).spec);
    }
    const p = translatePod(withDns({ dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true }), dns)
      .pod as Any;
    expect(p.spec.dnsConfig.nameservers).toEqual(['10.96.0.53']);
  });

  it('is idempotent, hidden in the tenant view, and the view translates back to the same host pod', () => {
    for (const spec of [
      { dnsPolicy: 'ClusterFirst' },
      { dnsPolicy: 'ClusterFirst', dnsConfig: { searches: ['a.b'] } },
    ]) {
      const once = translatePod(withDns(spec), dns).pod as Any;
      expect(translatePod(once, dns).pod).toEqual(once);
      // Even with another DNS address configured since: a translated pod keeps its resolver.
      expect(translatePod(once, { ...dns, dnsServer: '10.0.0.9' }).pod).toEqual(once);
      const view = viewOf(once);
      expect(view.spec).toEqual(withDns(spec).spec);
      expect(JSON.stringify(view)).not.toContain('10.96.0.53');
      expect(translatePod(view, dns).pod).toEqual(once);
    }
  });

  it('an update in host form keeps the DNS the pod was created with; a view is translated again', () => {
    const old = translatePod(withDns({ dnsPolicy: 'ClusterFirst', dnsConfig: { searches: ['a.b'] } }), dns)
      .pod as Any;
    // A server-side apply of the tenant's manifest merged into the host form: searches replaced.
    const merged = structuredClone(old);
    merged.spec.dnsConfig.searches = ['a.b'];
    delete merged.metadata.annotations['kplex.io/dns'];
    const out = translatePod(merged, dns).pod as Any;
    hostFormUpdate(out, merged, old, 'shop');
    expect(out).toEqual(old);
    // The tenant's view with a changed dnsConfig stays a change (the host's immutability error answers).
    const changed = viewOf(old);
    changed.spec.dnsConfig.searches = ['c.d'];
    const again = translatePod(changed, dns).pod as Any;
    hostFormUpdate(again, changed, old, 'shop');
    expect(again.spec.dnsConfig.searches).toContain('c.d');
    // A pod kplex left alone keeps what it has.
    const own = withDns({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'] } });
    // A host-form update that changes the settings is sent on changed (the host refuses it).
    const moved = structuredClone(old);
    moved.spec.dnsConfig.nameservers = ['192.0.2.1'];
    const refused = translatePod(moved, dns).pod as Any;
    hostFormUpdate(refused, moved, old, 'shop');
    expect(refused.spec.dnsConfig.nameservers).toEqual(['10.96.0.53', '192.0.2.1']);
    const same = translatePod(own, dns).pod as Any;
    hostFormUpdate(same, own, translatePod(own, dns).pod as Any, 'shop');
    expect(same.spec.dnsConfig).toEqual({ nameservers: ['1.1.1.1'] });
  });

  it('a malformed or foreign DNS record is not trusted by the view', () => {
    for (const rec of ['{', '[]', '{"dnsPolicy":"None"}', '{"dnsPolicy":"ClusterFirst","dnsConfig":"x"}']) {
      const p = translatePod(withDns({ dnsPolicy: 'ClusterFirst' }), dns).pod as Any;
      p.metadata.annotations['kplex.io/dns'] = rec;
      expect(viewOf(p).spec.dnsPolicy).toBe('None');
      expect(injectedNameserver(p)).toBeUndefined();
    }
  });

  it('the pod DNS address: the flag, else --dns-listen’s host; an IP, or kplex does not start', () => {
    const base = { bindAddress: '10.0.0.5' };
    expect(podDnsAddress(base)).toBeUndefined();
    expect(podDnsAddress({ ...base, dnsListen: '127.0.0.1:5353' })).toBe('127.0.0.1');
    expect(podDnsAddress({ ...base, dnsListen: '0.0.0.0:53' })).toBe('10.0.0.5');
    expect(podDnsAddress({ ...base, dnsListen: '0.0.0.0:53', podDnsAddress: '10.96.0.10' })).toBe(
      '10.96.0.10',
    );
    expect(() => podDnsAddress({ ...base, podDnsAddress: 'dns.example' })).toThrow(/not an IP/);
  });

  it("kplex's endpoints for the isolation policy: the pod API address (its port, else the serving one) and DNS", () => {
    expect(podEndpoints({ bindAddress: '10.0.0.5' }, 6443)).toEqual([
      { ip: '10.0.0.5', port: 6443, protocol: 'TCP' },
    ]);
    expect(
      podEndpoints({ bindAddress: '0.0.0.0', podApiAddress: '10.96.0.1:443', dnsListen: '0.0.0.0:53' }, 6443),
    ).toEqual([
      { ip: '10.96.0.1', port: 443, protocol: 'TCP' },
      { ip: '10.96.0.1', port: 53, protocol: 'UDP' },
      { ip: '10.96.0.1', port: 53, protocol: 'TCP' },
    ]);
  });
});

describe('admission review', () => {
  it('parses only v1 pod reviews, whatever is posted', () => {
    for (const bad of [
      null,
      1,
      'x',
      [],
      {},
      { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' },
      {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: { uid: 'u', resource: { group: 'apps', version: 'v1', resource: 'pods' }, object: {} },
      },
      {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: { uid: 'u', resource: { group: '', version: 'v1', resource: 'pods' } },
      },
    ])
      expect(typeof parsePodAdmission(bad)).toBe('string');
    const ok = parsePodAdmission({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'u',
        operation: 'CREATE',
        namespace: 'n',
        resource: { group: '', version: 'v1', resource: 'pods' },
        object: { spec: {} },
      },
    });
    expect(ok).toMatchObject({ uid: 'u', operation: 'CREATE', namespace: 'n', dryRun: false });
  });

  it('patches annotations and spec only when they change', () => {
    const from = admitted();
    const to = translatePod(from, target).pod;
    expect(translationPatch(from, to).map((o) => o.path)).toEqual(['/metadata/annotations', '/spec']);
    expect(translationPatch(to, to)).toEqual([]);
    const r = reviewResponse('u', { patch: translationPatch(from, to) }) as Any;
    expect(r.response.allowed).toBe(true);
    expect(r.response.patchType).toBe('JSONPatch');
    expect(reviewResponse('u', { patch: [] })).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u', allowed: true },
    });
  });

  it('registers for kplex namespaces only, failing closed, updates only from kplex', () => {
    const c = webhookConfiguration({
      url: 'https://10.0.0.1/kplex/webhooks/v1/pods',
      caCert: 'PEM',
      kplexUser: 'system:serviceaccount:kplex-system:kplex',
    }) as Any;
    const w = c.webhooks[0];
    expect(w.failurePolicy).toBe('Fail');
    expect(w.namespaceSelector).toEqual({
      matchExpressions: [{ key: 'kplex.io/tenant-uid', operator: 'Exists' }],
    });
    expect(w.rules[0].resources).toEqual(['pods', 'pods/ephemeralcontainers']);
    expect(w.matchConditions[0].expression).toContain('"system:serviceaccount:kplex-system:kplex"');
    // Only kplex's own marked dry run of a create skips the webhook: every clause is required.
    const skip = w.matchConditions[1];
    expect(skip.name).toBe('not-kplex-admission-dry-run');
    for (const clause of [
      "request.operation == 'CREATE'",
      'has(request.dryRun) && request.dryRun == true',
      'request.userInfo.username == "system:serviceaccount:kplex-system:kplex"',
      '"kplex.io/admission-dry-run" in object.metadata.annotations',
    ])
      expect(skip.expression).toContain(clause);
    expect(skip.expression.startsWith('!(')).toBe(true);
  });
});

describe('tenant of a prefix-less pod token', () => {
  const jwt = (claims: object): string =>
    `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
  it('is the one tenant audience it names', () => {
    expect(tenantFromCredential(jwt({ aud: ['kplex:tenant:acme'] }))).toBe('acme');
    expect(tenantFromCredential(jwt({ aud: 'kplex:tenant:acme' }))).toBe('acme');
    expect(tenantFromCredential(jwt({ aud: ['kplex:tenant:acme', 'kplex:tenant:beta'] }))).toBeUndefined();
    expect(tenantFromCredential(jwt({ aud: ['kplex:tenant:Bad_Name'] }))).toBeUndefined();
    expect(
      tenantFromCredential(jwt({ aud: ['https://kubernetes.default.svc.cluster.local'] })),
    ).toBeUndefined();
  });
});
