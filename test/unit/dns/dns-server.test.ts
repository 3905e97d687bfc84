// The tenant DNS server over real UDP and TCP sockets on loopback, fed by informer events for two
// tenants and a host namespace; queries are sent from the pods' (loopback) IPs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { KubeObject } from '../../../src/api/object.js';
import { DnsIndex } from '../../../src/dns/dns-index.js';
import { trimNamespace, trimPod, trimService } from '../../../src/dns/dns-objects.js';
import { DnsResolver } from '../../../src/dns/dns-resolver.js';
import { DnsServer } from '../../../src/dns/dns-server.js';
import { tenantPodDNSConfig } from '../../../src/syncer/pod-dns.js';
import { SourceBudget } from '../../../src/dns/source-budget.js';
import {
  addresses,
  decodeAnswer,
  query,
  queryPacket,
  sendRaw,
  type DnsTarget,
} from '../../helpers/dns-client.js';

const ns = (name: string, uid: string, vns: string): KubeObject => ({
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
const svc = (
  namespace: string,
  name: string,
  clusterIP: string,
  extra: Record<string, unknown> = {},
): KubeObject => ({
  metadata: { name, namespace },
  spec: { clusterIP, clusterIPs: clusterIP === 'None' ? ['None'] : [clusterIP], type: 'ClusterIP', ...extra },
});
const pod = (
  namespace: string,
  name: string,
  ip: string,
  labels: Record<string, string> = {},
  spec: Record<string, unknown> = {},
  ready = true,
): KubeObject => ({
  metadata: { name, namespace, labels },
  spec,
  status: {
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
  },
});

const index = new DnsIndex();
const add = (kind: 'ns' | 'svc' | 'pod', o: KubeObject, type: 'ADDED' | 'DELETED' = 'ADDED'): void => {
  if (kind === 'ns') index.onNamespace({ type, object: trimNamespace(o) });
  if (kind === 'svc') index.onService({ type, object: trimService(o) });
  if (kind === 'pod') index.onPod({ type, object: trimPod(o) });
};
// tenant A: namespaces web (host a-web) and default (host a-default); tenant B: web (host b-web).
add('ns', ns('a-web', 'uid-a', 'web'));
add('ns', ns('a-default', 'uid-a', 'default'));
add('ns', ns('b-web', 'uid-b', 'web'));
add('ns', { metadata: { name: 'hostonly', labels: {} } });
add('svc', svc('a-web', 'redis', '10.96.0.10'));
add('svc', svc('a-web', 'db', 'None', { selector: { app: 'db' } }));
add('svc', svc('a-web', 'ext', '', { type: 'ExternalName', externalName: 'example.org' }));
add('svc', svc('a-default', 'kubernetes', '10.96.0.2'));
add('svc', svc('b-web', 'secret', '10.96.0.20'));
add('svc', svc('hostonly', 'hidden', '10.96.0.30'));
add('pod', pod('a-web', 'client', '127.1.0.1'));
add('pod', pod('a-web', 'db-0', '127.1.0.2', { app: 'db' }, { hostname: 'db-0', subdomain: 'db' }));
add('pod', pod('a-web', 'db-1', '127.1.0.3', { app: 'db' }, { hostname: 'db-1', subdomain: 'db' }));
add('pod', pod('a-web', 'db-2', '127.1.0.4', { app: 'db' }, { hostname: 'db-2', subdomain: 'db' }, false));
add('pod', pod('b-web', 'client', '127.1.1.1'));
add('pod', pod('hostonly', 'hostpod', '127.1.2.1'));

let server: DnsServer;
let target: DnsTarget;
const A = { source: '127.1.0.1' };
const B = { source: '127.1.1.1' };

beforeAll(async () => {
  server = new DnsServer({ index, resolver: new DnsResolver(index), logger: pino({ level: 'silent' }) });
  target = await server.listen('127.0.0.1', 0);
});
afterAll(() => server.close());

describe('tenant DNS names', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    it(`resolves a tenant's Service by its full name over ${transport}`, async () => {
      const r = await query(target, 'redis.web.svc.cluster.local', 'A', { ...A, transport });
      expect(r.rcode).toBe('NOERROR');
      expect(r.flag_aa).toBe(true);
      expect(addresses(r)).toEqual(['10.96.0.10']);
      expect((r.answers?.[0] as { ttl?: number }).ttl).toBe(5);
    });
  }

  it('answers headless Services with their ready pods, and StatefulSet pod names', async () => {
    expect(addresses(await query(target, 'db.web.svc.cluster.local', 'A', A))).toEqual([
      '127.1.0.2',
      '127.1.0.3',
    ]);
    expect(addresses(await query(target, 'db-1.db.web.svc.cluster.local', 'A', A))).toEqual(['127.1.0.3']);
    expect((await query(target, 'db-2.db.web.svc.cluster.local', 'A', A)).rcode).toBe('NXDOMAIN'); // not ready
    expect((await query(target, 'db-9.db.web.svc.cluster.local', 'A', A)).rcode).toBe('NXDOMAIN');
    expect((await query(target, 'db-0.redis.web.svc.cluster.local', 'A', A)).rcode).toBe('NXDOMAIN');
  });

  it('answers SRV for named ports: the Service, or each ready pod of a headless one', async () => {
    add(
      'svc',
      svc('a-web', 'web2', '10.96.0.40', {
        ports: [
          { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
          { port: 9090, protocol: 'TCP' },
        ],
      }),
    );
    add(
      'svc',
      svc('a-web', 'pgs', 'None', {
        selector: { app: 'db' },
        ports: [{ name: 'pg', protocol: 'TCP', port: 5432, targetPort: 6432 }],
      }),
    );
    const one = await query(target, '_http._tcp.web2.web.svc.cluster.local', 'SRV', A);
    expect(one.answers).toMatchObject([
      { type: 'SRV', data: { port: 80, target: 'web2.web.svc.cluster.local' } },
    ]);
    expect(one.additionals).toMatchObject([
      { type: 'A', name: 'web2.web.svc.cluster.local', data: '10.96.0.40' },
    ]);
    expect(
      (await query(target, 'web2.web.svc.cluster.local', 'SRV', A)).answers?.map(
        (a) => (a as { data: { port: number } }).data.port,
      ),
    ).toEqual([80, 9090]);
    const pods = await query(target, '_pg._tcp.pgs.web.svc.cluster.local', 'SRV', { ...A, transport: 'tcp' });
    // db-0/db-1 have subdomain `db`, not `pgs`: they are named by their dashed IPs here.
    expect(pods.answers?.map((a) => (a as { data: unknown }).data)).toEqual([
      { priority: 0, weight: 100, port: 6432, target: '127-1-0-2.pgs.web.svc.cluster.local' },
      { priority: 0, weight: 100, port: 6432, target: '127-1-0-3.pgs.web.svc.cluster.local' },
    ]);
    expect(addresses(await query(target, '127-1-0-3.pgs.web.svc.cluster.local', 'A', A))).toEqual([
      '127.1.0.3',
    ]);
    for (const name of [
      '_nope._tcp.web2.web.svc.cluster.local',
      '_http._udp.web2.web.svc.cluster.local',
      '_http._tcp.redis.a-web.svc.cluster.local',
      '_http._tcp.x.web2.web.svc.cluster.local',
    ])
      expect((await query(target, name, 'SRV', A)).rcode, name).toBe('NXDOMAIN');
    const fromB = await query(target, '_http._tcp.web2.web.svc.cluster.local', 'SRV', B);
    expect(fromB.rcode).toBe('NXDOMAIN');
    expect(JSON.stringify([one, pods])).not.toMatch(/a-web/);
  });

  it('answers ExternalName Services with a CNAME', async () => {
    const r = await query(target, 'ext.web.svc.cluster.local', 'A', A);
    expect(r.answers?.[0]).toMatchObject({ type: 'CNAME', data: 'example.org' });
  });

  it('gives NODATA (NOERROR, no answer, SOA) for a type the name has no record of', async () => {
    const r = await query(target, 'redis.web.svc.cluster.local', 'AAAA', A);
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers).toEqual([]);
    expect(r.authorities?.[0]?.type).toBe('SOA');
  });

  it("never answers another tenant's, or the host's, names", async () => {
    // Tenant B's `web` is its own: redis is not there, secret is B's only.
    expect((await query(target, 'redis.web.svc.cluster.local', 'A', B)).rcode).toBe('NXDOMAIN');
    expect(addresses(await query(target, 'secret.web.svc.cluster.local', 'A', B))).toEqual(['10.96.0.20']);
    expect((await query(target, 'secret.web.svc.cluster.local', 'A', A)).rcode).toBe('NXDOMAIN');
    for (const name of [
      'redis.a-web.svc.cluster.local',
      'secret.b-web.svc.cluster.local',
      'hidden.hostonly.svc.cluster.local',
      'a-web.svc.cluster.local',
    ]) {
      const r = await query(target, name, 'A', A);
      expect(r.rcode, name).toBe('NXDOMAIN');
      expect(JSON.stringify([r.answers, r.authorities]), name).not.toMatch(/a-web|b-web|hostonly/);
    }
  });

  it('resolves kubernetes.default.svc to the tenant kubernetes Service, or to the configured address', async () => {
    expect(addresses(await query(target, 'kubernetes.default.svc.cluster.local', 'A', A))).toEqual([
      '10.96.0.2',
    ]);
    const fixed = new DnsResolver(index, { kubernetesAddress: () => '10.96.0.1' });
    const client = index.client('127.1.1.1')!;
    expect(fixed.resolve(client, 'kubernetes.default.svc.cluster.local.', 'A').answers).toMatchObject([
      { data: '10.96.0.1' },
    ]);
    // B has no `default` namespace yet: no answer without the shared address.
    expect(new DnsResolver(index).resolve(client, 'kubernetes.default.svc.cluster.local', 'A').rcode).toBe(
      'NXDOMAIN',
    );
  });

  it('REFUSES unknown sources, host pods and names outside the cluster zone', async () => {
    expect((await query(target, 'redis.web.svc.cluster.local', 'A', { source: '127.0.0.1' })).rcode).toBe(
      'REFUSED',
    );
    expect((await query(target, 'redis.web.svc.cluster.local', 'A', { source: '127.1.2.1' })).rcode).toBe(
      'REFUSED',
    );
    expect((await query(target, 'example.org', 'A', A)).rcode).toBe('REFUSED');
    expect((await query(target, 'example.org', 'A', { ...A, transport: 'tcp' })).rcode).toBe('REFUSED');
  });

  it('treats odd names as names nobody has', async () => {
    for (const name of ['REDIS.WEB.SVC.CLUSTER.LOCAL', 'redis.web.svc.cluster.local.'])
      expect(addresses(await query(target, name, 'A', A))).toEqual(['10.96.0.10']);
    for (const name of [
      'x.redis.web.svc.cluster.local.x',
      'a.b.c.d.e.svc.cluster.local',
      'redis.web.pod.cluster.local',
      '-x.web.svc.cluster.local',
      'red_is.web.svc.cluster.local',
    ])
      expect((await query(target, name, 'A', A)).rcode, name).toMatch(/NXDOMAIN|REFUSED/);
    expect((await query(target, 'web.svc.cluster.local', 'A', A)).rcode).toBe('NOERROR');
  });

  it('follows Service and pod changes', async () => {
    add('svc', svc('a-web', 'late', '10.96.0.99'));
    expect(addresses(await query(target, 'late.web.svc.cluster.local', 'A', A))).toEqual(['10.96.0.99']);
    add('svc', svc('a-web', 'late', '10.96.0.99'), 'DELETED');
    expect((await query(target, 'late.web.svc.cluster.local', 'A', A)).rcode).toBe('NXDOMAIN');
    add('pod', pod('a-web', 'db-1', '127.1.0.3', { app: 'db' }), 'DELETED');
    expect(addresses(await query(target, 'db.web.svc.cluster.local', 'A', A))).toEqual(['127.1.0.2']);
    add('pod', pod('a-web', 'db-1', '127.1.0.3', { app: 'db' }, { hostname: 'db-1', subdomain: 'db' }));
  });
});

describe('namespace mapping', () => {
  it('keeps the live host namespace of a virtual namespace while an old one terminates', () => {
    const idx = new DnsIndex();
    const old = ns('t-cache', 'uid-t', 'cache');
    const fresh = ns('t-cache-1a2b', 'uid-t', 'cache');
    idx.onNamespace({ type: 'ADDED', object: trimNamespace(fresh) });
    const terminating = { ...old, metadata: { ...old.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    idx.onNamespace({ type: 'MODIFIED', object: trimNamespace(terminating) });
    expect(idx.hostNamespace('uid-t', 'cache')).toBe('t-cache-1a2b');
    idx.onNamespace({ type: 'DELETED', object: trimNamespace(terminating) });
    expect(idx.hostNamespace('uid-t', 'cache')).toBe('t-cache-1a2b');
    expect(idx.hostNamespace('uid-other', 'cache')).toBeUndefined();
  });
});

describe('hostile packets', () => {
  it('sends nothing back for responses, short packets; FORMERR for garbage; NOTIMP for other opcodes', async () => {
    const q = queryPacket('redis.web.svc.cluster.local', 'A');
    const resp = Buffer.from(q);
    resp.writeUInt16BE(resp.readUInt16BE(2) | 0x8000, 2);
    expect(await sendRaw(target, resp, { ...A, timeoutMs: 300 })).toBeUndefined();
    expect(await sendRaw(target, Buffer.from([1, 2, 3]), { ...A, timeoutMs: 300 })).toBeUndefined();
    const garbage = Buffer.concat([q.subarray(0, 12), Buffer.from([0xc0, 0xff, 0, 1, 0, 1])]); // pointer forward
    expect(decodeAnswer((await sendRaw(target, garbage, A))!).rcode).toBe('FORMERR');
    const two = Buffer.from(q);
    two.writeUInt16BE(2, 4);
    expect(decodeAnswer((await sendRaw(target, two, A))!).rcode).toBe('FORMERR');
    const update = Buffer.from(q);
    update.writeUInt16BE((update.readUInt16BE(2) & ~0x7800) | (5 << 11), 2);
    expect(decodeAnswer((await sendRaw(target, update, A))!).rcode).toBe('NOTIMP');
  });

  it('truncates UDP answers larger than the asker can take, and TCP carries them whole', async () => {
    for (let i = 0; i < 60; i++) add('pod', pod('a-web', `big-${i}`, `127.1.3.${i + 1}`, { app: 'big' }));
    add('svc', svc('a-web', 'big', 'None', { selector: { app: 'big' } }));
    const udp = await query(target, 'big.web.svc.cluster.local', 'A', A);
    expect(udp.flag_tc).toBe(true);
    expect(udp.answers).toEqual([]);
    expect(
      addresses(await query(target, 'big.web.svc.cluster.local', 'A', { ...A, transport: 'tcp' })),
    ).toHaveLength(60);
    // EDNS raises the UDP limit to what the asker offers, at most 1232 bytes.
    expect((await query(target, 'big.web.svc.cluster.local', 'A', { ...A, edns: 4096 })).flag_tc).toBe(true);
    for (let i = 0; i < 15; i++) add('pod', pod('a-web', `med-${i}`, `127.1.4.${i + 1}`, { app: 'med' }));
    add('svc', svc('a-web', 'med', 'None', { selector: { app: 'med' } }));
    expect((await query(target, 'med.web.svc.cluster.local', 'A', A)).flag_tc).toBe(true);
    expect(
      addresses(await query(target, 'med.web.svc.cluster.local', 'A', { ...A, edns: 1232 })),
    ).toHaveLength(15);
  });

  it('keeps a TCP connection for pipelined queries and closes an idle one', async () => {
    const s = new DnsServer({
      index,
      resolver: new DnsResolver(index),
      logger: pino({ level: 'silent' }),
      tcpIdleMs: 200,
    });
    const t = await s.listen('127.0.0.1', 0);
    const net = await import('node:net');
    const sock = net.connect({ host: t.address, port: t.port, localAddress: '127.1.0.1' });
    const frame = (b: Buffer): Buffer => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
    let got = Buffer.alloc(0);
    sock.on('data', (c: Buffer) => (got = Buffer.concat([got, c])));
    const closed = new Promise((r) => sock.on('close', r));
    sock.write(
      Buffer.concat([
        frame(queryPacket('redis.web.svc.cluster.local', 'A')),
        frame(queryPacket('db.web.svc.cluster.local', 'A')),
      ]),
    );
    await closed; // the idle timeout ends it after both answers
    const first = got.readUInt16BE(0);
    expect(decodeAnswer(got.subarray(2, 2 + first)).answers?.[0]).toMatchObject({ data: '10.96.0.10' });
    expect(got.length).toBeGreaterThan(2 + first + 2);
    await s.close();
  });
});

describe('per-tenant budget', () => {
  it("stops answering a tenant's pods together past the tenant's budget; other tenants go on", async () => {
    const s = new DnsServer({
      index,
      resolver: new DnsResolver(index),
      logger: pino({ level: 'silent' }),
      queriesPerTenant: 3,
    });
    const t = await s.listen('127.0.0.1', 0);
    let answered = 0;
    for (const source of [
      '127.1.0.1',
      '127.1.0.2',
      '127.1.0.3',
      '127.1.0.1',
      '127.1.0.2',
      '127.1.0.3',
      '127.1.0.1',
      '127.1.0.2',
    ])
      if (await sendRaw(t, queryPacket('redis.web.svc.cluster.local', 'A'), { source, timeoutMs: 100 }))
        answered++;
    expect(answered).toBe(6); // a burst of twice the rate
    expect((await query(t, 'secret.web.svc.cluster.local', 'A', B)).rcode).toBe('NOERROR');
    await s.close();
  });
});

describe('per-source budget', () => {
  it('allows a burst of twice the rate, then refills with time', () => {
    let now = 0;
    const b = new SourceBudget(10, () => now);
    let ok = 0;
    for (let i = 0; i < 50; i++) if (b.take('x')) ok++;
    expect(ok).toBe(20);
    expect(b.take('y')).toBe(true); // another source has its own
    now += 500;
    ok = 0;
    for (let i = 0; i < 50; i++) if (b.take('x')) ok++;
    expect(ok).toBe(5);
  });
});

describe('tenantPodDNSConfig', () => {
  it('gives the search list and ndots of a pod in the virtual namespace', () => {
    expect(tenantPodDNSConfig('team-a', '10.96.0.53')).toEqual({
      dnsPolicy: 'None',
      dnsConfig: {
        nameservers: ['10.96.0.53'],
        searches: ['team-a.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
        options: [{ name: 'ndots', value: '5' }],
      },
    });
    const own = tenantPodDNSConfig('team-a', '10.96.0.53', {
      searches: ['corp.example'],
      options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
    });
    expect(own.dnsConfig.searches).toEqual([
      'team-a.svc.cluster.local',
      'svc.cluster.local',
      'cluster.local',
      'corp.example',
    ]);
    expect(own.dnsConfig.options).toEqual([{ name: 'ndots', value: '2' }, { name: 'edns0' }]);
  });
});
