// A real DNS client for tests: one query over UDP or TCP, sent FROM a chosen local address (a
// tenant pod's loopback IP on the local host), answered by whatever listens at `server`.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type DecodedPacket, type RecordType } from 'dns-packet';

export interface DnsTarget {
  address: string;
  port: number;
}

export interface QueryOptions {
  /** Local address to send from (the pod IP the server must recognise). */
  source?: string;
  transport?: 'udp' | 'tcp';
  edns?: number;
  timeoutMs?: number;
}

export function queryPacket(name: string, type: RecordType, edns?: number): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: Math.floor(Math.random() * 65_535),
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    additionals: edns
      ? [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: edns,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: 0,
            flag_do: false,
            options: [],
          },
        ]
      : [],
  });
}

/** Sends raw bytes and resolves the raw answer (undefined when none came within the timeout). */
export function sendRaw(
  target: DnsTarget,
  bytes: Buffer,
  opts: QueryOptions = {},
): Promise<Buffer | undefined> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  if ((opts.transport ?? 'udp') === 'udp') {
    return new Promise((resolve, reject) => {
      const sock = dgram.createSocket('udp4');
      const timer = setTimeout(() => (sock.close(), resolve(undefined)), timeoutMs);
      sock.once('error', (e) => (clearTimeout(timer), sock.close(), reject(e)));
      sock.once('message', (msg) => (clearTimeout(timer), sock.close(), resolve(msg)));
      sock.bind(0, opts.source ?? '127.0.0.1', () => sock.send(bytes, target.port, target.address));
    });
  }
  return new Promise((resolve, reject) => {
    const sock = net.connect({
      host: target.address,
      port: target.port,
      localAddress: opts.source ?? '127.0.0.1',
    });
    let buf = Buffer.alloc(0);
    const done = (v: Buffer | undefined): void => (clearTimeout(timer), sock.destroy(), resolve(v));
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.on('error', (e) => (clearTimeout(timer), reject(e)));
    sock.on('close', () => done(undefined));
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0))
        done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    sock.on('connect', () => {
      const framed = Buffer.alloc(2 + bytes.length);
      framed.writeUInt16BE(bytes.length, 0);
      bytes.copy(framed, 2);
      sock.write(framed);
    });
  });
}

export async function query(
  target: DnsTarget,
  name: string,
  type: RecordType = 'A',
  opts: QueryOptions = {},
): Promise<DnsReply> {
  const raw = await sendRaw(target, queryPacket(name, type, opts.edns), opts);
  if (!raw)
    throw new Error(
      `no DNS answer for ${name} ${type} from ${opts.source ?? '127.0.0.1'} over ${opts.transport ?? 'udp'}`,
    );
  return decodeAnswer(raw);
}

export type DnsReply = DecodedPacket & { rcode: string };

export function decodeAnswer(raw: Buffer): DnsReply {
  return dnsPacket.decode(raw) as DnsReply;
}

/** The A/AAAA addresses of an answer, sorted. */
export function addresses(p: DecodedPacket): string[] {
  return (p.answers ?? [])
    .filter((a) => a.type === 'A' || a.type === 'AAAA')
    .map((a) => String((a as { data?: unknown }).data))
    .sort();
}
