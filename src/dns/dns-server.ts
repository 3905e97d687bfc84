// One DNS server (UDP and TCP on the same port) for the pods of every tenant. The asker is known
// by its source address: a tenant pod's IP names its host namespace, hence its tenant and virtual
// namespace; any other source is REFUSED. Every packet is hostile input: malformed ones get
// FORMERR or nothing, responses are never answered, UDP answers fit the asker's buffer (TC
// otherwise), and each source address and each tenant has a query budget: neither one pod nor
// all pods of a tenant can keep the event loop (which also serves the API) busy.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket, type Packet } from 'dns-packet';
import type { Logger } from '../log/logger.js';
import type { DnsIndex } from './dns-index.js';
import type { DnsResolver } from './dns-resolver.js';
import { SourceBudget } from './source-budget.js';

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
type RcodeName = keyof typeof RCODE;

const HEADER = 12;
const QR = 0x8000;
const AA = 0x0400;
const TC = 0x0200;
const RD = 0x0100;
/** RFC 1035's UDP size, and the EDNS buffer kplex advertises and honours at most (DNS flag day 2020). */
const UDP_PLAIN = 512;
const UDP_EDNS_MAX = 1232;
const TCP_MAX = 65_535;

export interface DnsServerOptions {
  index: DnsIndex;
  resolver: DnsResolver;
  logger: Logger;
  /** Queries per second each source address may send (burst: twice that); the rest are dropped. */
  queriesPerSecond?: number;
  /** Queries per second all pods of one tenant may send together (many pods, one event loop). */
  queriesPerTenant?: number;
  maxTcpConnections?: number;
  /** Open TCP connections one source address may hold. */
  tcpPerSource?: number;
  tcpIdleMs?: number;
}

export class DnsServer {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly budget: SourceBudget;
  private readonly tenantBudget: SourceBudget;
  private readonly tcpBySource = new Map<string, number>();

  constructor(private readonly opts: DnsServerOptions) {
    this.budget = new SourceBudget(opts.queriesPerSecond ?? 2000);
    this.tenantBudget = new SourceBudget(opts.queriesPerTenant ?? 10_000);
  }

  /** Listens on UDP and TCP `host:port` (port 0: one free port for both); resolves the port. */
  async listen(host: string, port: number): Promise<{ address: string; port: number }> {
    for (let attempt = 0; ; attempt++) {
      const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, host, () => resolve());
      });
      const bound = udp.address().port;
      const tcp = net.createServer((s) => this.serveTcp(s));
      tcp.maxConnections = this.opts.maxTcpConnections ?? 512;
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(bound, host, () => resolve());
        });
      } catch (err) {
        udp.close();
        // A free UDP port whose TCP twin is taken: pick again when the port was ours to choose.
        if (port === 0 && attempt < 5 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
        throw err;
      }
      udp.on('message', (msg, rinfo) => {
        const out = this.answer(msg, rinfo.address, 'udp');
        if (out) udp.send(out, rinfo.port, rinfo.address);
      });
      udp.on('error', (err) => this.opts.logger.warn({ err }, 'dns udp socket error'));
      this.udp = udp;
      this.tcp = tcp;
      return { address: host, port: bound };
    }
  }

  async close(): Promise<void> {
    this.udp?.close();
    await new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r()));
  }

  private serveTcp(socket: net.Socket): void {
    const source = plainAddress(socket.remoteAddress ?? '');
    // One pod cannot hold every connection: a few per source address, the rest closed at once.
    const open = (this.tcpBySource.get(source) ?? 0) + 1;
    if (open > (this.opts.tcpPerSource ?? 16)) return void socket.destroy();
    this.tcpBySource.set(source, open);
    socket.once('close', () => {
      const n = (this.tcpBySource.get(source) ?? 1) - 1;
      if (n > 0) this.tcpBySource.set(source, n);
      else this.tcpBySource.delete(source);
    });
    let buf: Buffer = Buffer.alloc(0);
    socket.setTimeout(this.opts.tcpIdleMs ?? 10_000, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      // RFC 7766 framing: a two-byte length, then the message; several may be pipelined.
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) return;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        const out = this.answer(msg, source, 'tcp');
        if (!out) return void socket.destroy();
        const framed = Buffer.alloc(2 + out.length);
        framed.writeUInt16BE(out.length, 0);
        out.copy(framed, 2);
        socket.write(framed);
      }
    });
  }

  /**
   * The response to one message from `source`, or undefined when nothing must be sent (not a
   * query, no header, or the source is over its budget).
   */
  answer(msg: Buffer, source: string, transport: 'udp' | 'tcp'): Buffer | undefined {
    const ip = plainAddress(source);
    if (msg.length < HEADER || msg.readUInt16BE(2) & QR) return undefined;
    if (!this.budget.take(ip)) return undefined;
    const id = msg.readUInt16BE(0);
    const flags = msg.readUInt16BE(2);
    if ((flags >> 11) & 0xf) return bareHeader(id, flags, 'NOTIMP'); // only standard queries
    if (msg.readUInt16BE(4) !== 1) return bareHeader(id, flags, 'FORMERR');
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return bareHeader(id, flags, 'FORMERR');
    }
    const question = query.questions?.[0];
    if (!question) return bareHeader(id, flags, 'FORMERR');
    const opt = query.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
    const limit =
      transport === 'tcp'
        ? TCP_MAX
        : Math.min(Math.max(opt?.udpPayloadSize ?? UDP_PLAIN, UDP_PLAIN), UDP_EDNS_MAX);
    const base = { id, rd: flags & RD, question, edns: opt !== undefined };
    const client = this.opts.index.client(ip);
    if (!client)
      return encodeResponse({ ...base, rcode: 'REFUSED', aa: false, answers: [], authorities: [] }, limit);
    if (!this.tenantBudget.take(client.tenantUid)) return undefined;
    const res = this.opts.resolver.resolve(client, question.name, String(question.type));
    return encodeResponse({ ...base, ...res }, limit);
  }
}

interface Response {
  id: number;
  rd: number;
  question: DecodedPacket['questions'] extends (infer Q)[] | undefined ? Q : never;
  edns: boolean;
  rcode: RcodeName;
  aa: boolean;
  answers: Answer[];
  authorities: Answer[];
  additionals?: Answer[];
}

const EDNS_OPT: Answer = {
  type: 'OPT',
  name: '.',
  udpPayloadSize: UDP_EDNS_MAX,
  extendedRcode: 0,
  ednsVersion: 0,
  flags: 0,
  flag_do: false,
  options: [],
};

function encodeResponse(r: Response, limit: number): Buffer {
  const packet = (answers: Answer[], authorities: Answer[], tc: number): Packet => ({
    type: 'response',
    id: r.id,
    flags: (r.aa ? AA : 0) | r.rd | tc | RCODE[r.rcode],
    questions: [r.question],
    answers,
    authorities,
    additionals: [...(tc ? [] : (r.additionals ?? [])), ...(r.edns ? [EDNS_OPT] : [])],
  });
  const full = dnsPacket.encode(packet(r.answers, r.authorities, 0));
  // Too big for the asker's buffer: the header and question with TC, so it retries over TCP.
  return full.length <= limit ? full : dnsPacket.encode(packet([], [], TC));
}

/** A header-only response (the question may be what could not be read). */
function bareHeader(id: number, queryFlags: number, rcode: RcodeName): Buffer {
  const b = Buffer.alloc(HEADER);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(QR | (queryFlags & 0x7800) | (queryFlags & RD) | RCODE[rcode], 2);
  return b;
}

function plainAddress(a: string): string {
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}
