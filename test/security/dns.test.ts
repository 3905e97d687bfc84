// [leaks] [namespaces] [malformed] [exhaustion] Tenant DNS: a tenant pod asks kplex's one DNS
// server (real UDP and TCP, from its own pod IP on a loopback-podCIDR kwok node) for another
// tenant's names, host namespace names, host-only Services, reverse and zone-wide names, and sends
// it hostile packets and floods. The safe outcome: NXDOMAIN that looks like any unknown name,
// REFUSED for non-tenant sources, no host name in any answer, and the server still answering.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { RecordType } from 'dns-packet';
import {
  addresses,
  decodeAnswer,
  query,
  queryPacket,
  sendRaw,
  type DnsReply,
  type DnsTarget,
} from '../helpers/dns-client.js';
import {
  allowDnsTaint,
  dnsTarget,
  loopbackNode,
  onNode,
  readyPodIP,
  resolveLikePod,
  waitFor,
} from '../helpers/dns-fixture.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { tenantPodDNSConfig } from '../../src/syncer/pod-dns.js';
import { attack, rssMiB, securityEnv, type SecurityEnv } from './harness.js';

const A = 'sd-a';
const B = 'sd-b';
const NODE = 'kwok-dns-sec';

const pod = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { ...onNode(NODE), containers: [{ name: 'c', image: 'x' }] },
});

describe('tenant DNS', () => {
  let s: SecurityEnv;
  let dns: DnsTarget;
  let removeNode: () => Promise<void>;
  const ip: Record<string, string> = {};
  const hostNs: Record<string, string> = {};
  let hostKubernetesIP = '';
  let forbidden: RegExp;
  const podDns = tenantPodDNSConfig('web', '127.0.0.1');

  /** A's query; the reply's records never name a host namespace or the other tenant. */
  const ask = async (
    name: string,
    type: RecordType = 'A',
    transport: 'udp' | 'tcp' = 'udp',
    source = ip['a']!,
  ): Promise<DnsReply> => {
    const r = await query(dns, name, type, { source, transport });
    expect(JSON.stringify([r.answers, r.authorities, r.additionals]), name).not.toMatch(forbidden);
    return r;
  };

  beforeAll(async () => {
    s = await securityEnv([A, B], { kplexArgs: ['--dns-listen', '127.0.0.1:0'] });
    for (const t of [A, B]) await allowDnsTaint(s.host.kubeconfig, t, s.kc[t]!);
    removeNode = await loopbackNode(s.hostApi, NODE, '127.1.20.0/24');
    dns = await dnsTarget(s.env.kplex);
    for (const [t, svc] of [
      [A, 'mine'],
      [B, 'secret'],
    ] as const) {
      kubectlOk(s.kc[t]!, ['create', 'namespace', 'web']);
      const items = [
        { apiVersion: 'v1', kind: 'Service', metadata: { name: svc }, spec: { ports: [{ port: 80 }] } },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'db' },
          spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] },
        },
        pod('client'),
        // Only B runs a db pod: A's headless `db` has none, so any answer to A would be B's.
        ...(t === B
          ? [
              {
                ...pod('db-0', { app: 'db' }),
                spec: { ...pod('db-0').spec, hostname: 'db-0', subdomain: 'db' },
              },
            ]
          : []),
      ];
      kubectlOk(
        s.kc[t]!,
        ['apply', '--validate=false', '-n', 'web', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
      );
    }
    ip['a'] = await readyPodIP(s.kc[A]!, 'web', 'client');
    ip['b'] = await readyPodIP(s.kc[B]!, 'web', 'client');
    ip['b-db'] = await readyPodIP(s.kc[B]!, 'web', 'db-0');
    for (const t of [A, B]) {
      const list = await s.hostApi.must<{ items: { metadata: { name: string } }[] }>(
        'GET',
        `/api/v1/namespaces?labelSelector=kplex.io/tenant%3D${t}`,
      );
      hostNs[t] = list.body.items.map((n) => n.metadata.name).find((n) => n.endsWith('-web'))!;
    }
    await s.hostApi.request('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'sd-hostonly' },
    });
    await s.hostApi.request('POST', '/api/v1/namespaces/sd-hostonly/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'hidden' },
      spec: { ports: [{ port: 80 }] },
    });
    await s.hostApi.request('POST', '/api/v1/namespaces/sd-hostonly/pods', pod('hostpod'));
    ip['host'] = await readyPodIP(s.host.kubeconfig, 'sd-hostonly', 'hostpod');
    hostKubernetesIP = (
      await s.hostApi.must<{ spec: { clusterIP: string } }>(
        'GET',
        '/api/v1/namespaces/default/services/kubernetes',
      )
    ).body.spec.clusterIP;
    const bSecret = (
      await s.api[B]!.must<{ spec: { clusterIP: string } }>('GET', '/api/v1/namespaces/web/services/secret')
    ).body.spec.clusterIP;
    const exact = (x: string) => `(?<![\\w.-])${x.replace(/\./g, '\\.')}(?![\\w-]|\\.\\d)`;
    forbidden = new RegExp(
      [hostNs[A]!, hostNs[B]!, B, 'sd-hostonly', bSecret, ip['b']!, ip['b-db']!].map(exact).join('|'),
    );
    await waitFor('dns to know both tenants', async () => {
      const [a, b] = await Promise.all([
        query(dns, 'mine.web.svc.cluster.local', 'A', { source: ip['a'] }),
        query(dns, 'secret.web.svc.cluster.local', 'A', { source: ip['b'] }),
      ]);
      return a.rcode === 'NOERROR' && b.rcode === 'NOERROR';
    });
  }, 240_000);

  afterAll(async () => {
    await s?.hostApi.request('DELETE', '/api/v1/namespaces/sd-hostonly');
    await removeNode?.();
    await s?.close();
  });

  for (const transport of ['udp', 'tcp'] as const) {
    attack(
      'leaks',
      `another tenant's Service in a namespace of the same name is NXDOMAIN (${transport})`,
      async () => {
        expect((await ask('secret.web.svc.cluster.local', 'A', transport)).rcode).toBe('NXDOMAIN');
      },
    );
    attack('leaks', `another tenant's host namespace names nothing (${transport})`, async () => {
      expect((await ask(`secret.${hostNs[B]}.svc.cluster.local`, 'A', transport)).rcode).toBe('NXDOMAIN');
      expect((await ask(`db-0.db.${hostNs[B]}.svc.cluster.local`, 'A', transport)).rcode).toBe('NXDOMAIN');
    });
    attack('leaks', `the tenant's own host namespace name names nothing (${transport})`, async () => {
      expect((await ask(`mine.${hostNs[A]}.svc.cluster.local`, 'A', transport)).rcode).toBe('NXDOMAIN');
      expect((await ask(`${hostNs[A]}.svc.cluster.local`, 'A', transport)).rcode).toBe('NXDOMAIN');
    });
    attack(
      'leaks',
      `host-only Services and the host's cluster DNS names are NXDOMAIN (${transport})`,
      async () => {
        for (const name of [
          'hidden.sd-hostonly.svc.cluster.local',
          'kube-dns.kube-system.svc.cluster.local',
          'kplex.kplex-system.svc.cluster.local',
        ])
          expect((await ask(name, 'A', transport)).rcode, name).toBe('NXDOMAIN');
      },
    );
  }

  attack('leaks', "kubernetes.default.svc is never the host's apiserver Service", async () => {
    for (const name of ['kubernetes.default.svc.cluster.local', 'kubernetes.default.svc', 'kubernetes'])
      expect(addresses((await resolveLikePod(dns, name, podDns, ip['a']!)).reply), name).not.toContain(
        hostKubernetesIP,
      );
  });

  attack('leaks', "another tenant's StatefulSet pod names and headless pods are not answered", async () => {
    expect((await ask('db-0.db.web.svc.cluster.local')).rcode).toBe('NXDOMAIN'); // A's db has no pods
    expect(addresses(await ask('db.web.svc.cluster.local'))).toEqual([]);
  });

  attack(
    'leaks',
    'a name another tenant has and a name nobody has get the same answer (no oracle)',
    async () => {
      const strip = (r: DnsReply) => ({
        rcode: r.rcode,
        aa: r.flag_aa,
        answers: r.answers,
        authorities: r.authorities,
      });
      expect(strip(await ask('secret.web.svc.cluster.local'))).toEqual(
        strip(await ask('nosuch.web.svc.cluster.local')),
      );
      expect(strip(await ask(`secret.${hostNs[B]}.svc.cluster.local`))).toEqual(
        strip(await ask('secret.nosuchns.svc.cluster.local')),
      );
    },
  );

  attack('leaks', 'search-list expansion of host and foreign names finds nothing', async () => {
    for (const name of [
      'secret',
      'secret.web',
      `secret.${hostNs[B]}`,
      `mine.${hostNs[A]}`,
      'hidden.sd-hostonly',
      'db-0.db',
    ])
      expect((await resolveLikePod(dns, name, podDns, ip['a']!)).reply.answers, name).toEqual([]);
  });

  attack('leaks', 'case-mangled and trailing-dot forms of foreign names are NXDOMAIN', async () => {
    for (const name of [
      'SECRET.WEB.SVC.CLUSTER.LOCAL',
      'Secret.Web.Svc.Cluster.Local.',
      `SECRET.${hostNs[B]!.toUpperCase()}.SVC.CLUSTER.LOCAL`,
    ])
      expect((await ask(name)).rcode, name).toBe('NXDOMAIN');
  });

  attack('leaks', 'ANY, SRV, TXT, PTR and AAAA questions for foreign names answer nothing', async () => {
    for (const type of ['ANY', 'SRV', 'TXT', 'PTR', 'AAAA'] as RecordType[]) {
      const r = await ask('secret.web.svc.cluster.local', type);
      expect(r.rcode, type).toBe('NXDOMAIN');
      expect(r.answers, type).toEqual([]);
    }
    expect((await ask('_http._tcp.secret.web.svc.cluster.local', 'SRV')).rcode).toBe('NXDOMAIN');
  });

  attack(
    'leaks',
    "SRV answers and their additional records name only the tenant's virtual names",
    async () => {
      for (const name of [
        'mine.web.svc.cluster.local',
        'db.web.svc.cluster.local',
        'secret.web.svc.cluster.local',
      ]) {
        const r = await ask(name, 'SRV'); // ask() scans answers, authorities and additionals
        for (const x of [...(r.answers ?? []), ...(r.additionals ?? [])])
          if (x.type !== 'OPT') expect(x.name, name).toMatch(/^[a-z0-9.-]*\.web\.svc\.cluster\.local$/);
      }
      expect((await ask('mine.web.svc.cluster.local', 'SRV')).answers).toMatchObject([
        { data: { target: 'mine.web.svc.cluster.local' } },
      ]);
      expect((await ask('secret.web.svc.cluster.local', 'SRV')).rcode).toBe('NXDOMAIN');
    },
  );

  attack('leaks', 'reverse lookups of pod and Service addresses are refused (no PTR names)', async () => {
    const rev = (a: string) => `${a.split('.').reverse().join('.')}.in-addr.arpa`;
    for (const name of [rev(ip['b']!), rev(ip['a']!), rev(hostKubernetesIP), '10.in-addr.arpa']) {
      const r = await ask(name, 'PTR');
      expect(r.rcode, name).toBe('REFUSED');
      expect(r.answers).toEqual([]);
    }
  });

  attack(
    'leaks',
    'zone-wide questions (apex, AXFR over TCP, wildcards, svc.cluster.local) list nothing',
    async () => {
      for (const [name, type, transport] of [
        ['cluster.local', 'AXFR', 'tcp'],
        ['cluster.local', 'ANY', 'udp'],
        ['svc.cluster.local', 'ANY', 'udp'],
        ['*.web.svc.cluster.local', 'A', 'udp'],
        ['*.*.svc.cluster.local', 'A', 'tcp'],
        ['web.svc.cluster.local', 'ANY', 'udp'],
      ] as [string, RecordType, 'udp' | 'tcp'][]) {
        const r = await ask(name, type, transport);
        expect(r.answers, name).toEqual([]);
      }
    },
  );

  attack('leaks', 'the pod namespace form (<ip>.<ns>.pod) and endpoint-IP names answer nothing', async () => {
    const dashed = ip['b-db']!.replace(/\./g, '-');
    for (const name of [
      `${dashed}.web.pod.cluster.local`,
      `${dashed}.db.web.svc.cluster.local`,
      `${dashed}.${hostNs[B]}.pod.cluster.local`,
    ])
      expect((await ask(name)).answers, name).toEqual([]);
  });

  attack(
    'namespaces',
    "a tenant namespace named like another tenant's host namespace resolves only the tenant's own",
    async () => {
      const lookalike = hostNs[B]!;
      kubectlOk(s.kc[A]!, ['create', 'namespace', lookalike]);
      kubectlOk(s.kc[A]!, ['create', 'service', 'clusterip', 'secret', '-n', lookalike, '--tcp=80:80']);
      const own = kubectlOk(s.kc[A]!, [
        'get',
        'svc',
        'secret',
        '-n',
        lookalike,
        '-o',
        'jsonpath={.spec.clusterIP}',
      ]).trim();
      await waitFor(
        'the lookalike service',
        async () =>
          addresses(
            await query(dns, `secret.${lookalike}.svc.cluster.local`, 'A', { source: ip['a'] }),
          )[0] === own,
      );
      // B's pod asking for the same name gets nothing of A's, and its own `web` is untouched.
      expect(
        (await query(dns, `secret.${lookalike}.svc.cluster.local`, 'A', { source: ip['b'] })).rcode,
      ).toBe('NXDOMAIN');
      expect(
        addresses(await query(dns, 'secret.web.svc.cluster.local', 'A', { source: ip['b'] })),
      ).not.toContain(own);
    },
  );

  attack(
    'namespaces',
    'a host pod, an unknown source and a stranger on the pod range are REFUSED',
    async () => {
      for (const source of [ip['host']!, '127.0.0.1', '127.1.20.254']) {
        for (const transport of ['udp', 'tcp'] as const) {
          const r = await query(dns, 'secret.web.svc.cluster.local', 'A', { source, transport });
          expect(r.rcode, `${source} ${transport}`).toBe('REFUSED');
          expect(r.answers).toEqual([]);
        }
      }
    },
  );

  attack('namespaces', "a deleted pod's address stops naming its tenant", async () => {
    kubectlOk(s.kc[B]!, ['apply', '--validate=false', '-n', 'web', '-f', '-'], JSON.stringify(pod('brief')));
    const brief = await readyPodIP(s.kc[B]!, 'web', 'brief');
    await waitFor(
      'brief known',
      async () =>
        (await query(dns, 'secret.web.svc.cluster.local', 'A', { source: brief })).rcode === 'NOERROR',
    );
    kubectlOk(s.kc[B]!, ['delete', 'pod', 'brief', '-n', 'web', '--grace-period=0', '--force']);
    await waitFor(
      'brief forgotten',
      async () =>
        (await query(dns, 'secret.web.svc.cluster.local', 'A', { source: brief })).rcode === 'REFUSED',
    );
  });

  attack(
    'malformed',
    'garbage, short, response-flagged and pointer-loop packets get FORMERR or nothing; the server still answers',
    async () => {
      const q = queryPacket('mine.web.svc.cluster.local', 'A');
      const responseFlag = Buffer.from(q);
      responseFlag.writeUInt16BE(responseFlag.readUInt16BE(2) | 0x8000, 2);
      const loop = Buffer.concat([q.subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]); // points at itself
      const longLabel = Buffer.concat([
        q.subarray(0, 12),
        Buffer.from([63]),
        Buffer.alloc(63, 0x61),
        Buffer.from([0xff]),
        Buffer.alloc(10),
      ]);
      for (const bytes of [Buffer.alloc(0), Buffer.from([0]), Buffer.alloc(11, 0xff), responseFlag]) {
        expect(await sendRaw(dns, bytes, { source: ip['a'], timeoutMs: 300 })).toBeUndefined();
      }
      for (const bytes of [loop, longLabel, Buffer.concat([q.subarray(0, 12), Buffer.alloc(400, 0xff)])]) {
        const raw = await sendRaw(dns, bytes, { source: ip['a'] });
        expect(decodeAnswer(raw!).rcode).toBe('FORMERR');
      }
      expect(addresses(await ask('mine.web.svc.cluster.local'))).toHaveLength(1);
    },
  );

  attack(
    'malformed',
    'zero or several questions, and non-QUERY opcodes, are refused without an answer record',
    async () => {
      const q = queryPacket('secret.web.svc.cluster.local', 'A');
      for (const [count, want] of [
        [0, 'FORMERR'],
        [2, 'FORMERR'],
        [65_535, 'FORMERR'],
      ] as const) {
        const b = Buffer.from(q);
        b.writeUInt16BE(count, 4);
        const r = decodeAnswer((await sendRaw(dns, b, { source: ip['a'] }))!);
        expect(r.rcode).toBe(want);
        expect(r.answers).toEqual([]);
      }
      for (const opcode of [1, 2, 4, 5, 15]) {
        const b = Buffer.from(q);
        b.writeUInt16BE((b.readUInt16BE(2) & ~0x7800) | (opcode << 11), 2);
        expect(decodeAnswer((await sendRaw(dns, b, { source: ip['a'] }))!).rcode, `opcode ${opcode}`).toBe(
          'NOTIMP',
        );
      }
    },
  );

  attack(
    'malformed',
    'a TCP length prefix promising 65535 bytes then silence is closed; others are served meanwhile',
    async () => {
      const sock = net.connect({ host: dns.address, port: dns.port, localAddress: ip['a'] });
      await new Promise((r) => sock.once('connect', r));
      sock.write(Buffer.from([0xff, 0xff, 1, 2, 3]));
      expect(
        (await query(dns, 'secret.web.svc.cluster.local', 'A', { source: ip['b'], transport: 'tcp' })).rcode,
      ).toBe('NOERROR');
      await new Promise((r) => sock.once('close', r)); // the idle timeout (10 s) ends it
    },
  );

  attack(
    'exhaustion',
    "a UDP flood from one pod is cut at its budget; another tenant's pod is still answered",
    async () => {
      const sock = (await import('node:dgram')).createSocket('udp4');
      await new Promise<void>((r) => sock.bind(0, ip['a'], () => r()));
      let answered = 0;
      sock.on('message', () => answered++);
      const q = queryPacket('mine.web.svc.cluster.local', 'A');
      const sent = 20_000;
      for (let i = 0; i < sent; i += 500) {
        for (let j = 0; j < 500; j++) sock.send(q, dns.port, dns.address);
        await new Promise((r) => setImmediate(r));
      }
      // The victim's resolver retries as a real one does (a datagram can drop while the queue is full).
      let victim: DnsReply | undefined;
      for (let i = 0; i < 3 && !victim; i++)
        victim = await query(dns, 'secret.web.svc.cluster.local', 'A', { source: ip['b'] }).catch(
          () => undefined,
        );
      expect(victim?.rcode).toBe('NOERROR');
      await new Promise((r) => setTimeout(r, 500));
      sock.close();
      // The budget is 2,000/s with a burst of 4,000: most of the flood got no answer.
      expect(answered).toBeLessThan(sent / 2);
      expect(rssMiB(s.kplexPid)).toBeLessThan(1024);
    },
  );

  attack(
    'exhaustion',
    'one pod opening many TCP connections gets a few; others still connect and are answered',
    async () => {
      const socks: net.Socket[] = [];
      const closed: Promise<unknown>[] = [];
      for (let i = 0; i < 64; i++) {
        const c = net.connect({ host: dns.address, port: dns.port, localAddress: ip['a'] });
        c.on('error', () => {});
        closed.push(new Promise((r) => c.once('close', r)));
        socks.push(c);
      }
      await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 1000))]);
      const open = socks.filter((c) => !c.destroyed && c.readyState === 'open').length;
      expect(open).toBeLessThanOrEqual(16);
      expect(
        (await query(dns, 'secret.web.svc.cluster.local', 'A', { source: ip['b'], transport: 'tcp' })).rcode,
      ).toBe('NOERROR');
      for (const c of socks) c.destroy();
    },
  );
});
